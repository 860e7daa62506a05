package org.fedmtl.job;

import com.typesafe.config.Config;
import java.util.List;
import org.fedmtl.aggregation.ServerOptimizer;
import org.fedmtl.client.LocalTrainingSpec;
import org.fedmtl.data.DataSpec;
import org.fedmtl.data.MultiMnist;
import org.fedmtl.data.SyntheticData;
import org.fedmtl.federation.FederationSpec;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;

/**
 * A validated experiment: everything a run needs, read once from the resolved configuration.
 *
 * @param name the experiment's name
 * @param federation seed, rounds, clients per round, evaluation schedule
 * @param local how clients train
 * @param aggregator the aggregator's name
 * @param serverOptimizer the server optimizer applied to the average, null for none
 * @param model the network
 * @param tasks the tasks, in configuration order
 * @param data where the data is and how to read it
 * @param generator {@code none}, {@code synthetic} or {@code multimnist}
 * @param synthetic settings of the synthetic generator
 * @param multiMnist settings of the MultiMNIST generator
 * @param taskAffinityEvery rounds between measurements of task affinity, 0 for none
 * @param checkpointEvery rounds between checkpoints, 0 for none
 * @param outputDir the run folder, or empty for an automatic one
 * @param resolved the fully resolved configuration, as written to config.conf
 * @param source where the configuration came from, for messages
 */
public record ExperimentConfig(String name, FederationSpec federation, LocalTrainingSpec local,
    String aggregator, ServerOptimizer.Spec serverOptimizer, ModelSpec model, List<TaskSpec> tasks,
    DataSpec data, String generator, SyntheticData.Spec synthetic, MultiMnist.Spec multiMnist,
    int taskAffinityEvery, int checkpointEvery, String outputDir, Config resolved,
    String source) {

  public long seed() {
    return federation.seed();
  }

  /** The history columns of the tasks' test metrics, then of task affinity when measured. */
  public List<String> historyColumns() {
    List<String> columns = new java.util.ArrayList<>(TaskEvaluation.metricNames(tasks));
    if (taskAffinityEvery > 0) {
      columns.addAll(affinityColumns());
    }
    return columns;
  }

  /** {@code affinity:<i>-><j>} for every ordered pair of tasks, row-major. */
  public List<String> affinityColumns() {
    List<String> columns = new java.util.ArrayList<>();
    for (TaskSpec from : tasks) {
      for (TaskSpec to : tasks) {
        columns.add("affinity:" + from.name() + "->" + to.name());
      }
    }
    return columns;
  }
}
