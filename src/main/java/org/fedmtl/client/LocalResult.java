package org.fedmtl.client;

/**
 * What a client's local training produced.
 *
 * @param parameters the client's parameters after training
 * @param examples examples the client holds
 * @param labelledExamples per task, examples that carry that task's label
 * @param lossSum sum over optimiser steps of (mean weighted multi-task loss x batch size)
 * @param lossExamples examples that loss sum covers (examples x local epochs)
 * @param steps optimiser steps taken
 */
public record LocalResult(float[] parameters, long examples, long[] labelledExamples,
    double lossSum, long lossExamples, long steps) {}
