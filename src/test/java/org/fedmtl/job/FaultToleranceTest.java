package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.fedmtl.SparkTests;
import org.fedmtl.aggregation.FedAvg;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.data.ClientData;
import org.fedmtl.data.ClientDataLoader;
import org.fedmtl.data.ClientShard;
import org.fedmtl.data.SyntheticData;
import org.fedmtl.federation.ClientUpdateFunction;
import org.fedmtl.federation.FederatedRounds;
import org.fedmtl.federation.FederationSpec;
import org.fedmtl.federation.RoundResult;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskEvaluation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rounds under failures: retried tasks, clients with corrupt data, too few usable clients. */
class FaultToleranceTest {
  @TempDir
  static Path root;
  private static SparkSession spark;
  private static ExperimentConfig config;
  private static ClientData clients;
  private static ClientData test;
  private static ParameterLayout layout;
  private static float[] initial;

  @BeforeAll
  static void load() {
    spark = SparkTests.session("local[2,3]");
    config = SparkTests.smallExperiment(root, "unused", "clients-per-round=4", "rounds=3");
    SyntheticData.generate(spark, config.synthetic(), config.data().train(), config.data().test());
    ClientDataLoader loader = new ClientDataLoader(spark, config.data(), config.tasks());
    clients = loader.loadTraining();
    test = loader.loadTest();
    var network = MultiTaskNetwork.create(config.model(), config.tasks(), 1);
    layout = MultiTaskNetwork.layout(network, config.tasks());
    initial = network.params().toFloatVector();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void retriedTasksGiveTheSameRounds() {
    List<RoundResult> clean = new ArrayList<>();
    float[] expected = rounds(update(), config.federation()).run(initial, 1,
        (result, global) -> clean.add(result));
    List<RoundResult> retried = new ArrayList<>();
    float[] actual = rounds(new FailFirstAttempt(update()), config.federation()).run(initial, 1,
        (result, global) -> retried.add(result));

    assertArrayEquals(expected, actual);
    for (int r = 0; r < clean.size(); r++) {
      assertEquals(clean.get(r).metrics(), retried.get(r).metrics());
      assertEquals(clean.get(r).trainLoss(), retried.get(r).trainLoss());
    }
  }

  @Test
  void clientWithCorruptDataIsSkippedAndCounted() {
    List<RoundResult> results = new ArrayList<>();
    rounds(new CorruptClients(update(), allClients()), config.federation()).run(initial, 1,
        (result, global) -> results.add(result));
    for (RoundResult result : results) {
      assertEquals(4, result.skippedClients());
      assertEquals(0, result.trainedClients());
    }

    List<RoundResult> partly = new ArrayList<>();
    String corrupt = clients.clientIds().get(0);
    rounds(new CorruptClients(update(), List.of(corrupt)), config.federation()).run(initial, 1,
        (result, global) -> partly.add(result));
    int skipped = partly.stream().mapToInt(RoundResult::skippedClients).sum();
    int trained = partly.stream().mapToInt(RoundResult::trainedClients).sum();
    assertEquals(12, skipped + trained);
    assertTrue(trained >= 9, "only the corrupt client is skipped");
  }

  @Test
  void tooFewUsableClientsKeepTheGlobalModel() {
    FederationSpec strict = new FederationSpec(config.seed(), 2, 4, 1, 4);
    List<float[]> globals = new ArrayList<>();
    rounds(new CorruptClients(update(), allClients()), strict).run(initial, 1,
        (result, global) -> globals.add(global));
    for (float[] global : globals) {
      assertArrayEquals(initial, global);
    }
  }

  private static List<String> allClients() {
    return clients.clientIds();
  }

  private static ClientUpdateFunction update() {
    return new MultiTaskClientUpdate(config.model(), config.tasks(), config.local(), layout,
        config.seed(), config.taskAffinityEvery());
  }

  private static FederatedRounds<TaskEvaluation> rounds(ClientUpdateFunction update,
      FederationSpec spec) {
    return new FederatedRounds<>(JavaSparkContext.fromSparkContext(spark.sparkContext()),
        clients, test, layout, new FedAvg(), update,
        new MultiTaskEvaluation(config.model(), config.tasks(), config.local()), spec);
  }

  /** Fails every Spark task's first attempt, as a lost executor would. */
  private static final class FailFirstAttempt implements ClientUpdateFunction {
    private static final long serialVersionUID = 1L;
    private final ClientUpdateFunction inner;

    FailFirstAttempt(ClientUpdateFunction inner) {
      this.inner = inner;
    }

    @Override
    public Session open() {
      Session session = inner.open();
      return (client, global, round, sum) -> {
        if (TaskContext.get().attemptNumber() == 0) {
          throw new IllegalStateException("injected failure of the first attempt");
        }
        return session.update(client, global, round, sum);
      };
    }
  }

  /** Gives the named clients NaN features, as corrupt storage would. */
  private static final class CorruptClients implements ClientUpdateFunction {
    private static final long serialVersionUID = 1L;
    private final ClientUpdateFunction inner;
    private final List<String> corrupt;

    CorruptClients(ClientUpdateFunction inner, List<String> corrupt) {
      this.inner = inner;
      this.corrupt = List.copyOf(corrupt);
    }

    @Override
    public Session open() {
      Session session = inner.open();
      return (client, global, round, sum) -> {
        ClientShard shard = client;
        if (corrupt.contains(client.clientId())) {
          float[] features = new float[client.features().length];
          Arrays.fill(features, Float.NaN);
          float[][] labels = new float[client.taskCount()][];
          for (int t = 0; t < labels.length; t++) {
            labels[t] = client.labels(t);
          }
          shard = new ClientShard(client.clientId(), client.index(), client.featureSize(),
              features, labels);
        }
        return session.update(shard, global, round, sum);
      };
    }
  }
}
