package org.fedmtl.job;

import java.util.List;
import org.fedmtl.Seeds;
import org.fedmtl.aggregation.GroupWeights;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.client.DenseLocalTrainer;
import org.fedmtl.client.LocalResult;
import org.fedmtl.client.LocalTrainer;
import org.fedmtl.client.LocalTraining;
import org.fedmtl.client.LocalTrainingSpec;
import org.fedmtl.client.TaskAffinity;
import org.fedmtl.federation.ClientUpdateFunction;
import org.fedmtl.model.DenseTopology;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires local multi-task training into the rounds: one network per Spark task, each client
 * trained from the stream (seed, "local-training", round, client id) and weighted per group.
 * A client whose training fails or whose update is not finite is skipped and counted.
 */
final class MultiTaskClientUpdate implements ClientUpdateFunction {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(MultiTaskClientUpdate.class);

  private final ModelSpec model;
  private final List<TaskSpec> tasks;
  private final LocalTrainingSpec local;
  private final ParameterLayout layout;
  private final long seed;
  /** Rounds between measurements of task affinity; 0 for none. */
  private final int taskAffinityEvery;
  /** For the dense engine, computed once on the driver: executors then build no DL4J network. */
  private final DenseTopology topology;

  MultiTaskClientUpdate(ModelSpec model, List<TaskSpec> tasks, LocalTrainingSpec local,
      ParameterLayout layout, long seed, int taskAffinityEvery) {
    this.taskAffinityEvery = taskAffinityEvery;
    this.model = model;
    this.tasks = List.copyOf(tasks);
    this.local = local;
    this.layout = layout;
    this.seed = seed;
    this.topology = local.engine().equals("dense") ? MultiTaskNetwork.denseTopology(
        MultiTaskNetwork.create(model, tasks, seed), model, tasks) : null;
  }

  @Override
  public Session open() {
    LocalTraining trainer = topology != null
        ? new DenseLocalTrainer(topology, tasks, local, model.optimizer(), model.learningRate())
        : new LocalTrainer(MultiTaskNetwork.create(model, tasks, seed), tasks, local);
    List<String> taskNames = tasks.stream().map(TaskSpec::name).toList();
    ParameterLayout.Group shared = layout.groups().stream()
        .filter(g -> g.name().equals(MultiTaskNetwork.BACKBONE_GROUP)).findFirst().orElseThrow();
    return (client, global, round, sum) -> {
      long stream = Seeds.derive(seed, "local-training", round, Seeds.hash(client.clientId()));
      LocalResult result;
      double[] affinity = null;
      if (taskAffinityEvery > 0 && round % taskAffinityEvery == 0) {
        // A measurement that fails costs the client nothing but its measurement.
        try {
          int[] rows = TaskAffinity.batchRows(client, local.batchSize(), Seeds.derive(seed,
              "task-affinity", round, Seeds.hash(client.clientId())));
          affinity = TaskAffinity.measure(trainer.probe(client, rows), global, shared.starts(),
              shared.ends(), model.learningRate(), tasks);
        } catch (RuntimeException e) {
          LOG.warn("round {}: client {} could not measure task affinity: {}", round,
              client.clientId(), e.toString());
        }
      }
      try {
        result = trainer.train(client, global, stream);
      } catch (RuntimeException e) {
        LOG.warn("round {}: client {} skipped, its local training failed: {}", round,
            client.clientId(), e.toString());
        sum.skip();
        return 0;
      }
      double[] weights = GroupWeights.byLabelledExamples(layout, taskNames, result.examples(),
          result.labelledExamples());
      if (!sum.add(layout, result.parameters(), weights, result.lossSum(),
          result.lossExamples())) {
        LOG.warn("round {}: client {} skipped, its update is not finite", round,
            client.clientId());
      } else if (affinity != null) {
        sum.addMeasurements(affinity);
      }
      return result.steps();
    };
  }
}
