package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmtl.InvalidInputException;
import org.fedmtl.tasks.TaskType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  @TempDir
  Path folder;

  @Test
  void defaultsAreTheSeedExperiment() {
    ExperimentConfig config = ConfigLoader.load(null, List.of());

    assertEquals(42, config.seed());
    assertEquals(50, config.federation().rounds());
    assertEquals(5, config.federation().clientsPerRound());
    assertEquals(3, config.local().localEpochs());
    assertEquals(32, config.local().batchSize());
    assertEquals("adam", config.model().optimizer());
    assertEquals(0.01, config.model().learningRate());
    assertEquals(List.of(64, 32), config.model().backboneLayers());
    assertEquals(2, config.tasks().size());
    assertEquals(TaskType.CLASSIFICATION, config.tasks().get(0).type());
    assertEquals(10, config.tasks().get(0).classes());
    assertEquals(5, config.tasks().get(1).classes());
    assertEquals(0.5, config.tasks().get(1).lossWeight());
    assertEquals(10, config.synthetic().clients());
    assertEquals(10_000, config.synthetic().testRows());
    assertEquals("data/synthetic-seed42/train", config.data().train());
  }

  @Test
  void overridesWinAndSeedFlowsIntoDataPaths() {
    ExperimentConfig config = ConfigLoader.load(null,
        List.of("rounds=5", "seed=7", "output.dir=/tmp/r1", "local.learning-rate=0.1"));

    assertEquals(5, config.federation().rounds());
    assertEquals(7, config.seed());
    assertEquals(7, config.synthetic().seed());
    assertEquals("/tmp/r1", config.outputDir());
    assertEquals(0.1, config.model().learningRate());
    assertEquals("data/synthetic-seed7/train", config.data().train());
  }

  @Test
  void fileOverridesDefaultsAndArgumentsOverrideFile() throws IOException {
    File file = write("rounds = 9\nclients-per-round = 2\n");
    ExperimentConfig config = ConfigLoader.load(file, List.of("rounds=3"));
    assertEquals(3, config.federation().rounds());
    assertEquals(2, config.federation().clientsPerRound());
  }

  @Test
  void shippedConfigurationsLoad() {
    ExperimentConfig multiMnist = ConfigLoader.load(new File("conf/multimnist.conf"), List.of());
    assertEquals("lenet", multiMnist.model().backbone());
    assertEquals(784, multiMnist.data().featureSize());
    assertEquals(List.of("left", "right"),
        multiMnist.tasks().stream().map(t -> t.name()).toList());
    assertEquals(50, multiMnist.multiMnist().clients());
    ConfigLoader.load(new File("conf/default.conf"), List.of());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "rounds=-3                 | rounds: must be an integer in 1..",
      "rounds=0                  | rounds: must be an integer in 1..",
      "rounds=ten                | rounds: expected an integer, got string",
      "rounds=2.5                | rounds: expected an integer",
      "clients-per-round=0       | clients-per-round: must be an integer in 1..",
      "local.epochs=0            | local.epochs: must be an integer in 1..",
      "local.batch-size=-1       | local.batch-size: must be an integer in 1..",
      "local.learning-rate=0     | local.learning-rate: must be a finite number above 0",
      "local.learning-rate=NaN   | local.learning-rate: must be a finite number",
      "local.learning-rate=Infinity | local.learning-rate: must be a finite number",
      "local.learning-rate=1e9   | local.learning-rate: must be a finite number above 0 and",
      "local.optimizer=adagrad   | local.optimizer: must be one of adam, sgd; got 'adagrad'",
      "aggregation.aggregator=x  | aggregation.aggregator: must be one of fedavg",
      "aggregation.server-optimizer=yogi | aggregation.server-optimizer: must be one of none, "
          + "momentum, adam",
      "aggregation.server-beta1=1 | aggregation.server-beta1: must be a number from 0 up to "
          + "(not including) 1, got 1",
      "aggregation.server-learning-rate=0 | aggregation.server-learning-rate: must be a finite "
          + "number above 0",
      "aggregation.server-tau=-1 | aggregation.server-tau: must be a finite number above 0",
      "model.backbone=resnet     | model.backbone: must be one of mlp, lenet",
      "model.input-shape=[0]     | model.input-shape: every entry must be an integer in 1..",
      "model.backbone-layers=64  | model.backbone-layers: expected a list of integers",
      "data.format=json          | data.format: must be one of parquet, csv",
      "data.partitions=-1        | data.partitions: must be an integer in 0..",
      "data.generator=magic      | data.generator: must be one of none, synthetic, multimnist",
      "data.train=\"\"           | data.train: must not be empty",
      "data.multimnist.dirichlet-alpha=0 | data.multimnist.dirichlet-alpha: must be a finite",
      "local.epoch=3             | unknown key 'local.epoch' (did you mean 'local.epochs'?)",
      "roundz=3                  | unknown key 'roundz' (did you mean 'rounds'?)",
      "zzzzzzzz=1 | unknown key 'zzzzzzzz'; the keys are listed in conf/default.conf",
      "rounds.max=3              | key 'rounds' takes a single value",
      "model.backbone=lenet      | model.input-shape: must be [channels, height, width]",
      "tasks=[]                  | tasks: must declare at least one task",
  })
  void badValuesNameTheKey(String override, String expected) {
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(null, List.of(override)));
    assertTrue(error.getMessage().contains(expected),
        () -> "message '" + error.getMessage() + "' lacks '" + expected + "'");
    assertEquals(1, error.getMessage().lines().count(), error.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{name = a, type = classification, classes = 1, label = y1} "
          + "| tasks[0].classes: must be an integer in 2..",
      "{name = a, type = detection, label = y1} "
          + "| tasks[0].type: must be one of classification, regression; got 'detection'",
      "{name = a, type = classification, label = y1} | tasks[0].classes: missing; a "
          + "classification task needs its number of classes",
      "{name = a, type = regression, classes = 3, label = y1} "
          + "| tasks[0].classes: only classification tasks have classes",
      "{name = a, type = classification, classes = 3, label = y1, weight = 2} "
          + "| tasks[0]: unknown key 'weight'",
      "{name = a, type = classification, classes = 3, label = y1, loss-weight = -1} "
          + "| tasks[0].loss-weight: must be a finite number from 0",
      "{name = 9a, type = classification, classes = 3, label = y1} "
          + "| tasks[0].name: must start with a letter",
      "{name = backbone2, type = classification, classes = 3, label = y1} "
          + "| tasks[0].name: must start with a letter",
      "{name = a, type = classification, classes = 3} | tasks[0].label: missing",
      "{name = a, type = classification, classes = 3, label = y1}, "
          + "{name = a, type = classification, classes = 3, label = y2} "
          + "| tasks[1].name: task 'a' is declared twice",
      "{name = a, type = classification, classes = 3, label = y1, loss-weight = 0} "
          + "| every task has loss-weight 0",
      "5 | tasks[0] must be an object",
  })
  void badTasksNameTheTaskAndKey(String tasks, String expected) throws IOException {
    File file = write("tasks = [" + tasks + "]\n");
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(file, List.of()));
    assertTrue(error.getMessage().contains(expected),
        () -> "message '" + error.getMessage() + "' lacks '" + expected + "'");
  }

  @Test
  void messagesSayWhereTheValueWasSet() throws IOException {
    File file = write("name = x\nrounds = -1\n");
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(file, List.of()));
    assertTrue(error.getMessage().startsWith(file.getPath() + ": 2: rounds:"),
        error.getMessage());
  }

  @Test
  void unknownKeyInFileNamesFileAndLine() throws IOException {
    File file = write("rounds = 3\nlocal { epochz = 2 }\n");
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(file, List.of()));
    assertTrue(error.getMessage().contains(file.getPath() + ": 2"), error.getMessage());
    assertTrue(error.getMessage().contains("'local.epochz'"), error.getMessage());
  }

  @Test
  void syntaxErrorAndMissingFileAreUserErrors() throws IOException {
    File broken = write("rounds = {\n");
    assertThrows(InvalidInputException.class, () -> ConfigLoader.load(broken, List.of()));
    InvalidInputException missing = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(new File("no/such.conf"), List.of()));
    assertTrue(missing.getMessage().contains("no/such.conf does not exist"));
    InvalidInputException folder = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(new File("conf"), List.of()));
    assertEquals("configuration file conf is a folder", folder.getMessage());
    assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(null, List.of("rounds")));
  }

  @Test
  void csvNeedsNamedFeatureColumnsOfTheRightCount() {
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(null, List.of("data.generator=none", "data.format=csv")));
    assertTrue(error.getMessage().contains("data.feature-columns"), error.getMessage());
    InvalidInputException count = assertThrows(InvalidInputException.class,
        () -> ConfigLoader.load(null, List.of("data.generator=none", "data.format=csv",
            "data.features-column=\"\"", "data.feature-columns=[a, b]")));
    assertTrue(count.getMessage().contains("lists 2 columns but model.input-shape [32] needs 32"),
        count.getMessage());
  }

  @Test
  void theGeneratorIsAskedOnlyWhetherItCanMakeTheData() {
    // Tasks on other columns are fine while data.train and data.test exist; the generator's
    // limits matter only once it has to make them.
    ExperimentConfig own = ConfigLoader.load(null, List.of(
        "tasks=[{name = churn, type = classification, classes = 2, label = churned}]"));
    assertEquals("synthetic data has the label columns [y1, y2], but task 'churn' reads "
        + "'churned'", ConfigLoader.generatorProblem(own));
    assertEquals("generated data is Parquet, but data.format = csv",
        ConfigLoader.generatorProblem(ConfigLoader.load(null, List.of("data.format=csv",
            "model.input-shape=[2]", "data.feature-columns=[a, b]"))));
    assertEquals("MultiMNIST images are [1, 28, 28], but model.input-shape = [1, 32, 32]",
        ConfigLoader.generatorProblem(ConfigLoader.load(null, List.of(
            "data.generator=multimnist", "model.backbone=lenet", "model.input-shape=[1,32,32]",
            "tasks=[{name = left, type = classification, classes = 10, label = left}]"))));
    assertNull(ConfigLoader.generatorProblem(ConfigLoader.load(null, List.of())));
  }

  @Test
  void namedFeatureColumnsTakeOverFromTheArrayColumn() {
    ExperimentConfig config = ConfigLoader.load(null, List.of("data.generator=none",
        "data.format=csv", "model.input-shape=[2]", "data.feature-columns=[a, b]"));
    assertEquals("", config.data().featuresColumn());
    assertEquals(List.of("a", "b"), config.data().featureColumns());
    assertEquals("defaults + command line", config.source());
  }

  private File write(String content) throws IOException {
    Path file = Files.createTempFile(folder, "experiment", ".conf");
    Files.writeString(file, content);
    return file.toFile();
  }
}
