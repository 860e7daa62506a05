package org.fedmtl.job;

import java.util.List;
import java.util.Map;
import org.fedmtl.client.DenseEvaluator;
import org.fedmtl.client.LocalEvaluator;
import org.fedmtl.client.LocalTrainingSpec;
import org.fedmtl.federation.EvaluationFunction;
import org.fedmtl.model.DenseTopology;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;

/** Wires multi-task evaluation into the rounds: per-task metrics of the global model. */
final class MultiTaskEvaluation implements EvaluationFunction<TaskEvaluation> {
  private static final long serialVersionUID = 1L;

  private final ModelSpec model;
  private final List<TaskSpec> tasks;
  /** For the dense engine, computed once on the driver. */
  private final DenseTopology topology;

  MultiTaskEvaluation(ModelSpec model, List<TaskSpec> tasks, LocalTrainingSpec local) {
    this.model = model;
    this.tasks = List.copyOf(tasks);
    this.topology = local.engine().equals("dense") ? MultiTaskNetwork.denseTopology(
        MultiTaskNetwork.create(model, tasks, 0), model, tasks) : null;
  }

  @Override
  public Session<TaskEvaluation> open(float[] parameters) {
    if (topology != null) {
      DenseEvaluator dense = new DenseEvaluator(topology, tasks);
      return block -> dense.evaluate(block, parameters);
    }
    LocalEvaluator evaluator = new LocalEvaluator(MultiTaskNetwork.create(model, tasks, 0), tasks);
    evaluator.load(parameters);
    return evaluator::evaluate;
  }

  @Override
  public TaskEvaluation merge(TaskEvaluation first, TaskEvaluation second) {
    return first.merge(second);
  }

  @Override
  public Map<String, Double> metrics(TaskEvaluation state) {
    return state.metrics();
  }
}
