package org.fedmtl.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.junit.jupiter.api.Test;

class LocalTrainerTest {
  private static final List<TaskSpec> TASKS = List.of(
      new TaskSpec("colour", TaskType.CLASSIFICATION, 3, "c", 1.0),
      new TaskSpec("size", TaskType.REGRESSION, 1, "s", 0.5));
  private static final ModelSpec MLP = new ModelSpec("mlp", List.of(16, 8), List.of(10, 20),
      List.of(), List.of(6), "adam", 0.01);
  private static final LocalTrainingSpec LOCAL = new LocalTrainingSpec(2, 8, "dl4j");

  @Test
  void layoutGroupsMatchTheLayersThatOwnTheParameters() {
    ComputationGraph network = MultiTaskNetwork.create(
        new ModelSpec("mlp", List.of(16, 8), List.of(10, 20), List.of(4), List.of(6), "adam",
            0.01), TASKS, 1);
    ParameterLayout layout = MultiTaskNetwork.layout(network, TASKS);

    assertEquals(List.of("backbone", "head:colour", "head:size"), layout.groupNames());
    // backbone 6*16+16 + 16*8+8; heads: 8*4+4 then 4*3+3 and 4*1+1
    assertEquals(112 + 136, layout.groups().get(0).size());
    assertEquals(36 + 15, layout.groups().get(1).size());
    assertEquals(36 + 5, layout.groups().get(2).size());
    assertEquals(network.numParams(), layout.size());

    float[] marked = new float[layout.size()];
    ParameterLayout.Group head = layout.groups().get(1);
    for (int r = 0; r < head.starts().length; r++) {
      Arrays.fill(marked, head.starts()[r], head.ends()[r], 1f);
    }
    network.params().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(marked));
    for (Layer layer : network.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      double expected = name.startsWith("colour") ? 1.0 : 0.0;
      if (layer.numParams() > 0) {
        assertEquals(expected, layer.params().minNumber().doubleValue(), name);
        assertEquals(expected, layer.params().maxNumber().doubleValue(), name);
      }
    }
  }

  @Test
  void lenetBackboneHasTheExpectedSize() {
    ModelSpec lenet = new ModelSpec("lenet", List.of(50), List.of(10, 20), List.of(),
        List.of(1, 28, 28), "adam", 0.001);
    List<TaskSpec> digits = List.of(
        new TaskSpec("left", TaskType.CLASSIFICATION, 10, "left", 0.5),
        new TaskSpec("right", TaskType.CLASSIFICATION, 10, "right", 0.5));
    ParameterLayout layout = MultiTaskNetwork.layout(MultiTaskNetwork.create(lenet, digits, 1),
        digits);
    assertEquals(22_350, layout.size());
    assertEquals(510, layout.groups().get(1).size());
  }

  @Test
  void reusedTrainerTrainsExactlyLikeAFreshOne() {
    ClientShard first = shard("a", 40, 1, false);
    ClientShard second = shard("b", 37, 2, false);
    float[] global = MultiTaskNetwork.create(MLP, TASKS, 9).params().toFloatVector();

    LocalTrainer reused = new LocalTrainer(MultiTaskNetwork.create(MLP, TASKS, 1), TASKS, LOCAL);
    reused.train(first, global, 11);
    LocalResult afterOther = reused.train(second, global, 12);
    LocalTrainer fresh = new LocalTrainer(MultiTaskNetwork.create(MLP, TASKS, 2), TASKS, LOCAL);
    LocalResult alone = fresh.train(second, global, 12);

    assertArrayEquals(alone.parameters(), afterOther.parameters());
    assertEquals(alone.lossSum(), afterOther.lossSum());
    assertEquals(37 * 2, alone.lossExamples());
  }

  @Test
  void trainingReducesTheLossAndFollowsTheStream() {
    ClientShard data = shard("a", 200, 3, false);
    float[] global = MultiTaskNetwork.create(MLP, TASKS, 9).params().toFloatVector();
    LocalTrainer trainer = new LocalTrainer(MultiTaskNetwork.create(MLP, TASKS, 1), TASKS,
        new LocalTrainingSpec(1, 8, "dl4j"));

    LocalResult one = trainer.train(data, global, 5);
    LocalResult other = trainer.train(data, global, 6);
    LocalResult later = new LocalTrainer(MultiTaskNetwork.create(MLP, TASKS, 1), TASKS,
        new LocalTrainingSpec(20, 8, "dl4j")).train(data, global, 5);

    assertFalse(Arrays.equals(one.parameters(), other.parameters()));
    assertTrue(later.lossSum() / later.lossExamples() < one.lossSum() / one.lossExamples());
    LocalEvaluator evaluator = new LocalEvaluator(MultiTaskNetwork.create(MLP, TASKS, 1), TASKS);
    evaluator.load(later.parameters());
    TaskEvaluation evaluation = evaluator.evaluate(data);
    assertTrue(evaluation.metrics().get("colour.accuracy") > 0.8,
        evaluation.metrics().toString());
  }

  @Test
  void rowsWithoutALabelDoNotTrainThatTasksHead() {
    ClientShard unlabelledSize = shard("a", 64, 4, true);
    ComputationGraph network = MultiTaskNetwork.create(MLP, TASKS, 9);
    ParameterLayout layout = MultiTaskNetwork.layout(network, TASKS);
    float[] global = network.params().toFloatVector();

    LocalResult result = new LocalTrainer(MultiTaskNetwork.create(MLP, TASKS, 1), TASKS, LOCAL)
        .train(unlabelledSize, global, 3);

    assertEquals(0, result.labelledExamples()[1]);
    assertEquals(64, result.labelledExamples()[0]);
    ParameterLayout.Group sizeHead = layout.groups().get(2);
    ParameterLayout.Group backbone = layout.groups().get(0);
    int headStart = sizeHead.starts()[0];
    int headEnd = sizeHead.ends()[sizeHead.ends().length - 1];
    assertArrayEquals(Arrays.copyOfRange(global, headStart, headEnd),
        Arrays.copyOfRange(result.parameters(), headStart, headEnd));
    int backboneStart = backbone.starts()[0];
    assertFalse(Arrays.equals(Arrays.copyOfRange(global, backboneStart, backboneStart + 10),
        Arrays.copyOfRange(result.parameters(), backboneStart, backboneStart + 10)));
  }

  /** Six features; colour = argmax of the first three, size = sum of the last three. */
  static ClientShard shard(String id, int rows, long seed, boolean withoutSize) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] features = new float[rows * 6];
    float[][] labels = new float[2][rows];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int f = 0; f < 6; f++) {
        features[r * 6 + f] = (float) random.nextGaussian();
        if (f < 3 && features[r * 6 + f] > features[r * 6 + best]) {
          best = f;
        }
      }
      labels[0][r] = best;
      labels[1][r] = withoutSize ? Float.NaN
          : features[r * 6 + 3] + features[r * 6 + 4] + features[r * 6 + 5];
    }
    return new ClientShard(id, 0, 6, features, labels);
  }
}
