package org.fedmtl.job;

import java.util.List;
import java.util.Map;
import org.fedmtl.client.LocalEvaluator;
import org.fedmtl.federation.EvaluationFunction;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;

/** Wires multi-task evaluation into the rounds: per-task metrics of the global model. */
final class MultiTaskEvaluation implements EvaluationFunction<TaskEvaluation> {
  private static final long serialVersionUID = 1L;

  private final ModelSpec model;
  private final List<TaskSpec> tasks;

  MultiTaskEvaluation(ModelSpec model, List<TaskSpec> tasks) {
    this.model = model;
    this.tasks = List.copyOf(tasks);
  }

  @Override
  public Session<TaskEvaluation> open(float[] parameters) {
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
