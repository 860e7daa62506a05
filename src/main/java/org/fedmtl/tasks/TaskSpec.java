package org.fedmtl.tasks;

import java.io.Serializable;

/**
 * One task of the multi-task model.
 *
 * @param name the task's name, used in metric columns ({@code <name>.<metric>}) and layer names
 * @param type classification or regression
 * @param classes the number of classes (classification), or 1 (regression)
 * @param labelColumn the data column holding this task's label; null values mean "no label"
 * @param lossWeight the weight of this task's loss in the sum that local training minimises
 */
public record TaskSpec(String name, TaskType type, int classes, String labelColumn,
    double lossWeight) implements Serializable {

  /** The width of the head's output layer. */
  public int outputSize() {
    return type == TaskType.CLASSIFICATION ? classes : 1;
  }
}
