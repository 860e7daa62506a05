package org.fedmtl.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The dense engine computes what DL4J computes, on the same parameters and batches. */
class DenseLocalTrainerTest {
  static final List<TaskSpec> TASKS = List.of(
      new TaskSpec("colour", TaskType.CLASSIFICATION, 3, "c", 0.7),
      new TaskSpec("size", TaskType.REGRESSION, 1, "s", 0.3));

  @ParameterizedTest(name = "head layers {0}")
  @ValueSource(ints = {0, 1, 2})
  void oneSgdStepMatchesDl4jGradients(int headLayers) {
    ModelSpec model = model("sgd", 1.0, headLayers);
    ClientShard data = withSomeMissingSizes(LocalTrainerTest.shard("a", 12, 5, false));
    LocalTrainingSpec oneStep = new LocalTrainingSpec(1, 12, "dense");
    float[] global = MultiTaskNetwork.create(model, TASKS, 3).params().toFloatVector();

    LocalResult dl4j = dl4j(model, oneStep).train(data, global, 9);
    LocalResult dense = dense(model, oneStep).train(data, global, 9);

    assertClose(dl4j.parameters(), dense.parameters(), 2e-5f);
    assertEquals(dl4j.lossSum(), dense.lossSum(), 1e-4 * Math.abs(dl4j.lossSum()));
  }

  @Test
  void aLastBatchOfOneUnlabelledRowTrainsInDl4jAsInTheDenseEngine() {
    // 17 rows in batches of 16: the last batch holds one row, here without a colour label.
    ModelSpec model = model("adam", 0.01, 0);
    ClientShard shard = LocalTrainerTest.shard("a", 17, 7, false);
    float[][] labels = {shard.labels(0).clone(), shard.labels(1).clone()};
    java.util.Arrays.fill(labels[0], 0, 17, Float.NaN);
    labels[0][0] = 1;
    ClientShard data = new ClientShard("a", 0, shard.featureSize(), shard.features(), labels);
    LocalTrainingSpec spec = new LocalTrainingSpec(2, 16, "dense");
    float[] global = MultiTaskNetwork.create(model, TASKS, 4).params().toFloatVector();

    LocalResult dl4j = dl4j(model, spec).train(data, global, 3);
    LocalResult dense = dense(model, spec).train(data, global, 3);

    assertClose(dl4j.parameters(), dense.parameters(), 1e-4f);
    assertEquals(4, dl4j.steps());
  }

  @Test
  void adamTrainingFollowsDl4j() {
    ModelSpec model = model("adam", 0.01, 1);
    ClientShard data = withSomeMissingSizes(LocalTrainerTest.shard("a", 90, 6, false));
    LocalTrainingSpec spec = new LocalTrainingSpec(3, 16, "dense");
    float[] global = MultiTaskNetwork.create(model, TASKS, 4).params().toFloatVector();

    LocalResult dl4j = dl4j(model, spec).train(data, global, 2);
    LocalResult dense = dense(model, spec).train(data, global, 2);

    assertClose(dl4j.parameters(), dense.parameters(), 1e-3f);
    assertEquals(dl4j.lossSum() / dl4j.lossExamples(), dense.lossSum() / dense.lossExamples(),
        1e-3);
    assertEquals(dl4j.steps(), dense.steps());
  }

  @Test
  void reusedTrainerMatchesFreshOneAndIsDeterministic() {
    ModelSpec model = model("adam", 0.01, 0);
    ClientShard first = LocalTrainerTest.shard("a", 50, 1, false);
    ClientShard second = LocalTrainerTest.shard("b", 41, 2, false);
    LocalTrainingSpec spec = new LocalTrainingSpec(2, 8, "dense");
    float[] global = MultiTaskNetwork.create(model, TASKS, 4).params().toFloatVector();

    DenseLocalTrainer reused = dense(model, spec);
    reused.train(first, global, 1);
    LocalResult again = reused.train(second, global, 2);
    LocalResult fresh = dense(model, spec).train(second, global, 2);

    assertArrayEquals(fresh.parameters(), again.parameters());
    assertEquals(fresh.lossSum(), again.lossSum());
    assertTrue(again.lossSum() / again.lossExamples() > 0);
  }

  @Test
  void evaluationMatchesDl4jOutputs() {
    ModelSpec model = model("adam", 0.01, 1);
    ClientShard data = withSomeMissingSizes(LocalTrainerTest.shard("a", 700, 8, false));
    float[] parameters = dl4j(model, new LocalTrainingSpec(5, 16, "dl4j"))
        .train(data, MultiTaskNetwork.create(model, TASKS, 4).params().toFloatVector(), 3)
        .parameters();

    LocalEvaluator reference = new LocalEvaluator(MultiTaskNetwork.create(model, TASKS, 1), TASKS);
    reference.load(parameters);
    var expected = reference.evaluate(data).metrics();
    DenseEvaluator evaluator = new DenseEvaluator(MultiTaskNetwork.denseTopology(
        MultiTaskNetwork.create(model, TASKS, 1), model, TASKS), TASKS);
    var actual = evaluator.evaluate(data, parameters).metrics();

    assertEquals(expected.get("colour.accuracy"), actual.get("colour.accuracy"), 1.5 / 700);
    assertEquals(expected.get("size.rmse"), actual.get("size.rmse"), 1e-4);
    assertTrue(actual.get("colour.accuracy") > 0.8, actual.toString());
  }

  @Test
  void evaluationDoesNotDependOnWhereBlocksAreCut() {
    ModelSpec model = model("adam", 0.01, 2);
    ClientShard data = withSomeMissingSizes(LocalTrainerTest.shard("a", 700, 9, false));
    float[] parameters = MultiTaskNetwork.create(model, TASKS, 6).params().toFloatVector();
    DenseEvaluator evaluator = new DenseEvaluator(MultiTaskNetwork.denseTopology(
        MultiTaskNetwork.create(model, TASKS, 1), model, TASKS), TASKS);

    var whole = evaluator.evaluate(data, parameters).metrics();
    var parts = evaluator.evaluate(rows(data, 0, 300), parameters)
        .merge(evaluator.evaluate(rows(data, 300, 700), parameters)).metrics();

    assertEquals(whole.get("colour.accuracy"), parts.get("colour.accuracy"));
    assertEquals(whole.get("colour.f1"), parts.get("colour.f1"));
    assertEquals(whole.get("size.rmse"), parts.get("size.rmse"), 1e-12);
    assertEquals(whole.get("size.mae"), parts.get("size.mae"), 1e-12);
  }

  private static ClientShard rows(ClientShard shard, int from, int to) {
    int width = shard.featureSize();
    float[][] labels = new float[shard.taskCount()][];
    for (int t = 0; t < labels.length; t++) {
      labels[t] = java.util.Arrays.copyOfRange(shard.labels(t), from, to);
    }
    return new ClientShard(shard.clientId(), shard.index(), width,
        java.util.Arrays.copyOfRange(shard.features(), from * width, to * width), labels);
  }

  static ModelSpec model(String optimizer, double learningRate, int headLayers) {
    List<Integer> head = headLayers == 0 ? List.of() : headLayers == 1 ? List.of(5)
        : List.of(5, 4);
    return new ModelSpec("mlp", List.of(16, 8), List.of(10, 20), head, List.of(6), optimizer,
        learningRate);
  }

  private static LocalTrainer dl4j(ModelSpec model, LocalTrainingSpec spec) {
    return new LocalTrainer(MultiTaskNetwork.create(model, TASKS, 1), TASKS, spec);
  }

  private static DenseLocalTrainer dense(ModelSpec model, LocalTrainingSpec spec) {
    ComputationGraph network = MultiTaskNetwork.create(model, TASKS, 1);
    return new DenseLocalTrainer(MultiTaskNetwork.denseTopology(network, model, TASKS), TASKS,
        spec, model.optimizer(), model.learningRate());
  }

  /** The shard with some rows lacking the second task's label and one the first's. */
  static ClientShard withSomeMissingSizes(ClientShard shard) {
    float[][] labels = {shard.labels(0).clone(), shard.labels(1).clone()};
    for (int r = 0; r < shard.rows(); r += 3) {
      labels[1][r] = Float.NaN;
    }
    labels[0][1] = Float.NaN;
    return new ClientShard(shard.clientId(), shard.index(), shard.featureSize(),
        shard.features(), labels);
  }

  private static void assertClose(float[] expected, float[] actual, float tolerance) {
    assertEquals(expected.length, actual.length);
    float worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      float difference = Math.abs(expected[i] - actual[i]);
      if (difference > worst) {
        worst = difference;
        at = i;
      }
    }
    assertTrue(worst <= tolerance, "parameter " + at + " differs by " + worst);
  }
}
