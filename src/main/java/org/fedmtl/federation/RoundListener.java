package org.fedmtl.federation;

/** Receives each round's result on the driver, in round order. */
public interface RoundListener {
  void onRound(RoundResult result, float[] globalParameters);
}
