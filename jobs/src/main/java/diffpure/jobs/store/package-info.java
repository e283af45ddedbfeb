/**
 * The result store of an evaluation output directory: where every table and marker lives ({@link
 * diffpure.jobs.store.TablePaths}), the samples table's columns declared once ({@link
 * diffpure.jobs.store.SamplesTable}), the runs table with its resume checks ({@link
 * diffpure.jobs.store.RunsTable}), the rescores table, how rows are committed ({@link
 * diffpure.jobs.store.TableCommitter}, {@link diffpure.jobs.store.ChunkMarkers}) and how they are
 * read back into summaries ({@link diffpure.jobs.store.ResultTables}).
 */
package diffpure.jobs.store;
