/**
 * The command line: one picocli command per verb (evaluate, attack, purify, rescore, strongest,
 * report, replay, sql, model), their shared options and what they print; {@code diffpure.jobs.Main}
 * dispatches to them.
 */
package diffpure.jobs.cli;
