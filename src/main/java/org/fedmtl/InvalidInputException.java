package org.fedmtl;

/**
 * A problem with what the user gave the job: a configuration key, a data file, a column or a row.
 * The message names where the problem is and what was expected; the command line prints it as one
 * line without a stack trace and exits with a non-zero code.
 */
public class InvalidInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
