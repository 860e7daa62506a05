package org.fedmtl.client;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.data.ClientShard;
import org.fedmtl.tasks.TaskSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Local multi-task training of one client: start from the global parameters, run the configured
 * local epochs of mini-batch optimisation over the client's examples in an order drawn from the
 * client's random stream, return the new parameters.
 *
 * <p>One trainer holds one network and is reused for every client a Spark task trains; before each
 * client the parameters, the optimiser state (Adam's moments) and the iteration count are reset,
 * so a client trains exactly as on a freshly built network. Not thread-safe.
 */
public final class LocalTrainer implements LocalTraining {
  private final ComputationGraph network;
  private final List<TaskSpec> tasks;
  private final LocalTrainingSpec spec;

  public LocalTrainer(ComputationGraph network, List<TaskSpec> tasks, LocalTrainingSpec spec) {
    this.network = network;
    this.tasks = List.copyOf(tasks);
    this.spec = spec;
  }

  @Override
  public LocalResult train(ClientShard shard, float[] globalParameters, long streamSeed) {
    reset(globalParameters);
    return LocalEpochs.run(shard, tasks.size(), spec, streamSeed, (order, from, to, step) -> {
      MultiDataSet batch = MiniBatches.batch(shard, tasks, order, from, to);
      network.fit(batch.getFeatures(), batch.getLabels(), null, batch.getLabelsMaskArrays());
      return network.score();
    }, () -> network.params().toFloatVector());
  }

  private void reset(float[] globalParameters) {
    INDArray parameters = network.params();
    parameters.assign(Nd4j.createFromArray(globalParameters));
    if (network.getUpdater() != null && network.getUpdater().getStateViewArray() != null) {
      network.getUpdater().getStateViewArray().assign(0);
    }
    network.getConfiguration().setIterationCount(0);
    network.getConfiguration().setEpochCount(0);
  }
}
