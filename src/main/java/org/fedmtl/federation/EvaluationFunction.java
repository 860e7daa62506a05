package org.fedmtl.federation;

import java.io.Serializable;
import java.util.Map;
import org.fedmtl.data.ClientShard;

/**
 * Evaluation of global parameters on held-out blocks, as the federation layer sees it.
 *
 * @param <M> the mergeable evaluation state of one block
 */
public interface EvaluationFunction<M extends Serializable> extends Serializable {

  /** Prepares evaluation of {@code parameters} in one Spark task. */
  Session<M> open(float[] parameters);

  /** Merges two blocks' states; called in block order, so the result is deterministic. */
  M merge(M first, M second);

  /** Metric values keyed {@code <task>.<metric>}. */
  Map<String, Double> metrics(M state);

  /** The per-task state of evaluation. */
  interface Session<M> {
    M evaluate(ClientShard block);
  }
}
