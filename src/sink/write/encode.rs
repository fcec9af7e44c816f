//! Column-parallel Parquet encoding. The schema's columns are split into lanes of about equal
//! cost; each lane encodes its columns on the process's shared encoder pool (`pool`: one
//! thread per core plus one for all months in flight), and every row group is assembled in column order
//! on the caller's thread. The file is the one `ArrowWriter` would write (same
//! properties, the Arrow schema in the footer): only the encoding is spread over the cores.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::sink::pool::{Actor, Handler};

/// Batches queued per lane.
const LANE_QUEUE: usize = 2;

/// A Parquet file written into memory, its columns encoded in parallel. Take the bytes written
/// so far with [`take_bytes`](Self::take_bytes) after each call.
pub(crate) struct ParallelWriter {
    file: SerializedFileWriter<Vec<u8>>,
    factory: ArrowRowGroupWriterFactory,
    lanes: Vec<Lane>,
    row_group_rows: usize,
    /// Rows in the open row group (0: none open).
    rows: usize,
    /// Row groups started so far.
    row_groups: usize,
}

enum LaneMsg {
    /// Column writers for a new row group.
    Start(Vec<ArrowColumnWriter>),
    /// Rows of the open row group.
    Batch(RecordBatch),
    /// Close the row group and send its column chunks.
    Close,
}

type Chunks = Result<Vec<ArrowColumnChunk>>;

/// One lane: its columns' writers, encoding on the shared pool (`pool`), in order.
struct Lane {
    /// First leaf column of the lane.
    first_leaf: usize,
    actor: Actor<LaneHandler>,
    done: Receiver<Chunks>,
}

struct LaneHandler {
    fields: Range<usize>,
    schema: SchemaRef,
    writers: Vec<ArrowColumnWriter>,
    done: SyncSender<Chunks>,
    /// An error was reported: the rest of the row group is ignored.
    failed: bool,
}

impl Handler for LaneHandler {
    type Msg = LaneMsg;

    fn handle(&mut self, msg: LaneMsg) {
        if self.failed {
            return;
        }
        let result = match msg {
            LaneMsg::Start(w) => {
                self.writers = w;
                return;
            }
            LaneMsg::Batch(batch) => {
                match encode(&self.fields, &self.schema, &batch, &mut self.writers) {
                    Ok(()) => return,
                    Err(e) => Err(e),
                }
            }
            LaneMsg::Close => self
                .writers
                .drain(..)
                .map(ArrowColumnWriter::close)
                .collect(),
        };
        self.failed = result.is_err();
        // The owner takes each result before it sends more work, so this never blocks a pool
        // thread; if the owner is gone, nobody wants the result.
        if self.done.try_send(result).is_err() {
            self.failed = true;
        }
    }
}

impl Lane {
    fn new(fields: Range<usize>, first_leaf: usize, schema: SchemaRef) -> Self {
        let (done_tx, done) = sync_channel(1);
        let handler = LaneHandler {
            fields,
            schema,
            writers: Vec::new(),
            done: done_tx,
            failed: false,
        };
        Self {
            first_leaf,
            actor: Actor::new(handler, LANE_QUEUE),
            done,
        }
    }

    /// Queues `msg`, waiting while the lane's queue is full.
    fn send(&self, msg: LaneMsg) {
        self.actor.send(msg);
    }

    /// The lane's result for the row group just closed (or its first error).
    fn chunks(&self) -> Chunks {
        self.done
            .recv()
            .map_err(|_| ParquetError::General("a column encoder stopped".into()))?
    }
}

fn encode(
    fields: &Range<usize>,
    schema: &SchemaRef,
    batch: &RecordBatch,
    writers: &mut [ArrowColumnWriter],
) -> Result<()> {
    let mut writers = writers.iter_mut();
    for i in fields.clone() {
        for leaf in compute_leaves(schema.field(i), batch.column(i))? {
            let writer = writers
                .next()
                .ok_or_else(|| ParquetError::General("fewer column writers than leaves".into()))?;
            writer.write(&leaf)?;
        }
    }
    Ok(())
}

/// Relative encoding cost of a column, measured on realistic pages: text and 16-byte decimals
/// cost several times a number, a map (two text leaves plus levels) about twice a text column.
fn cost(data_type: &DataType) -> usize {
    match data_type {
        DataType::Utf8 | DataType::Decimal128(_, _) => 4,
        DataType::Map(_, _) => 8,
        _ => 1,
    }
}

/// Splits the columns into at most `lanes` contiguous ranges of about equal cost.
pub(crate) fn split_lanes(costs: &[usize], lanes: usize) -> Vec<Range<usize>> {
    let total: usize = costs.iter().sum();
    let lanes = lanes.clamp(1, costs.len().max(1));
    let mut out = Vec::with_capacity(lanes);
    let (mut start, mut acc) = (0, 0);
    for (i, c) in costs.iter().enumerate() {
        acc += c;
        // Close a lane once it reaches its share of the total (rounded to the nearest column).
        let share = total * (out.len() + 1) / lanes;
        if out.len() + 1 < lanes && 2 * acc + c >= 2 * share {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < costs.len() || out.is_empty() {
        out.push(start..costs.len());
    }
    out
}

impl ParallelWriter {
    /// A writer of `schema` with `props`, encoding on `lanes` threads.
    pub(crate) fn try_new(
        schema: SchemaRef,
        props: WriterProperties,
        lanes: usize,
    ) -> Result<Self> {
        let row_group_rows = props
            .max_row_group_row_count()
            .unwrap_or(1024 * 1024)
            .max(1);
        let (file, factory) = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?
            .into_serialized_writer()?;
        let costs: Vec<usize> = schema
            .fields()
            .iter()
            .map(|f| cost(f.data_type()))
            .collect();
        // Leaf columns per top-level column, from the Parquet schema the file is written with.
        let mut leaves = vec![0usize; schema.fields().len()];
        for leaf in 0..file.schema_descr().num_columns() {
            leaves[file.schema_descr().get_column_root_idx(leaf)] += 1;
        }
        let mut first_leaf = 0;
        let lanes = split_lanes(&costs, lanes)
            .into_iter()
            .map(|fields| {
                let lane = Lane::new(fields.clone(), first_leaf, schema.clone());
                first_leaf += leaves[fields].iter().sum::<usize>();
                lane
            })
            .collect();
        Ok(Self {
            file,
            factory,
            lanes,
            row_group_rows,
            rows: 0,
            row_groups: 0,
        })
    }

    /// Encodes `batch`, closing row groups as they fill.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if self.rows == 0 {
                self.start_row_group()?;
            }
            let n = (self.row_group_rows - self.rows).min(batch.num_rows() - offset);
            let part = batch.slice(offset, n);
            for lane in &self.lanes {
                lane.send(LaneMsg::Batch(part.clone()));
            }
            self.rows += n;
            offset += n;
            if self.rows == self.row_group_rows {
                self.close_row_group()?;
            }
        }
        Ok(())
    }

    fn start_row_group(&mut self) -> Result<()> {
        let mut writers = self.factory.create_column_writers(self.row_groups)?;
        self.row_groups += 1;
        for lane in self.lanes.iter().rev() {
            lane.send(LaneMsg::Start(writers.split_off(lane.first_leaf)));
        }
        Ok(())
    }

    fn close_row_group(&mut self) -> Result<()> {
        for lane in &self.lanes {
            lane.send(LaneMsg::Close);
        }
        let mut chunks = Vec::new();
        for lane in &self.lanes {
            chunks.extend(lane.chunks()?);
        }
        // One allocation of the row group's size, not a doubling buffer (which held up to
        // three times the row group during its copies).
        let bytes: u64 = chunks.iter().map(|c| c.close().bytes_written).sum();
        self.file
            .inner_mut()
            .reserve(usize::try_from(bytes).unwrap_or(0));
        let mut row_group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        self.rows = 0;
        crate::alloc_tuning::release_free_memory();
        Ok(())
    }

    /// The bytes written since the last call.
    pub(crate) fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(self.file.inner_mut())
    }

    /// Closes the last row group and writes the footer with `metadata`.
    pub(crate) fn finish(&mut self, metadata: Vec<KeyValue>) -> Result<()> {
        if self.rows > 0 {
            self.close_row_group()?;
        }
        for kv in metadata {
            self.file.append_key_value_metadata(kv);
        }
        self.file.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::UsageBatchBuilder;
    use crate::schema::{COST, TAGS, USAGE_DATE, arrow_schema, index_of};
    use parquet::file::properties::EnabledStatistics;

    /// Batches with every kind of column filled: text (repeating and unique), decimals,
    /// dates, integers, maps with and without entries, and nulls.
    fn batches(pages: u64, rows: u64) -> Vec<RecordBatch> {
        let (account, instance) = (index_of("account_id"), index_of("instance_id"));
        let meter = index_of("meter_category");
        (0..pages)
            .map(|p| {
                let mut b = UsageBatchBuilder::with_capacity(rows as usize);
                for r in p * rows..(p + 1) * rows {
                    b.append_i64(account, Some((r % 17) as i64));
                    b.append_str(
                        meter,
                        (r % 5 != 0).then(|| ["VM", "Storage"][r as usize % 2]),
                    );
                    b.append_str(instance, Some(&format!("/subscriptions/x/vm-{r}")));
                    b.append_decimal(COST, Some(i128::from(r) * 1_000_000_007));
                    b.append_date(USAGE_DATE, Some(19_000 + (r % 29) as i32));
                    if r % 3 == 0 {
                        b.append_map(TAGS, None::<[(&str, Option<&str>); 0]>);
                    } else {
                        let env = format!("env-{}", r % 4);
                        b.append_map(TAGS, Some([("env", Some(env.as_str())), ("n", None)]));
                    }
                    b.end_row();
                }
                b.finish()
            })
            .collect()
    }

    /// The column-parallel file is byte for byte the one `ArrowWriter` writes, whatever the
    /// number of lanes, with row groups that end inside batches.
    #[test]
    fn writes_the_same_bytes_as_arrow_writer() {
        let props = || {
            WriterProperties::builder()
                .set_max_row_group_row_count(Some(700))
                .set_statistics_enabled(EnabledStatistics::Page)
                .set_column_dictionary_enabled("cost".into(), false)
                .build()
        };
        let input = batches(5, 300);
        let meta = || vec![KeyValue::new("k".into(), "v".to_string())];
        let mut reference =
            ArrowWriter::try_new(Vec::new(), arrow_schema(), Some(props())).unwrap();
        for b in &input {
            reference.write(b).unwrap();
        }
        for kv in meta() {
            reference.append_key_value_metadata(kv);
        }
        let want = reference.into_inner().unwrap();
        for lanes in [1, 2, 3, 7] {
            let mut w = ParallelWriter::try_new(arrow_schema(), props(), lanes).unwrap();
            let mut got = Vec::new();
            for b in &input {
                w.write(b).unwrap();
                got.extend(w.take_bytes());
            }
            w.finish(meta()).unwrap();
            got.extend(w.take_bytes());
            assert_eq!(got.len(), want.len(), "{lanes} lanes");
            assert!(got == want, "{lanes} lanes: the bytes differ");
        }
    }

    #[test]
    fn dropping_a_writer_mid_row_group_stops_its_lanes() {
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(250))
            .build();
        let mut w = ParallelWriter::try_new(arrow_schema(), props, 3).unwrap();
        for b in batches(3, 200) {
            w.write(&b).unwrap();
        }
        // Two row groups closed, one open with 100 rows: what was written so far is a Parquet
        // file's start, and dropping the writer stops its lanes promptly (a hang fails the test).
        let bytes = w.take_bytes();
        assert_eq!(&bytes[..4], b"PAR1");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(w);
            let _ = tx.send(());
        });
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Ok(()),
            "dropping a writer mid-row-group did not stop its lanes within 10 s"
        );
    }

    #[test]
    fn an_empty_file_has_no_row_group() {
        let mut w =
            ParallelWriter::try_new(arrow_schema(), WriterProperties::default(), 2).unwrap();
        w.finish(vec![]).unwrap();
        let bytes = bytes::Bytes::from(w.take_bytes());
        let reader = parquet::file::reader::SerializedFileReader::new(bytes).unwrap();
        use parquet::file::reader::FileReader;
        assert_eq!(reader.metadata().num_row_groups(), 0);
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    }

    #[test]
    fn lanes_cover_every_column_in_order_and_balance_the_cost() {
        let costs: Vec<usize> = arrow_schema()
            .fields()
            .iter()
            .map(|f| cost(f.data_type()))
            .collect();
        let total: usize = costs.iter().sum();
        for lanes in 1..=6 {
            let split = split_lanes(&costs, lanes);
            assert_eq!(split.len(), lanes, "{split:?}");
            assert_eq!(split[0].start, 0);
            assert_eq!(split.last().unwrap().end, costs.len());
            for w in split.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            let heaviest = split
                .iter()
                .map(|r| costs[r.clone()].iter().sum::<usize>())
                .max()
                .unwrap();
            assert!(heaviest * lanes <= total + 8 * lanes, "{lanes}: {split:?}");
        }
        assert_eq!(split_lanes(&[1, 1], 5), vec![0..1, 1..2]);
        // A column heavier than two shares closes its lane on its own.
        assert_eq!(split_lanes(&[100, 1, 1], 3), vec![0..1, 1..2, 2..3]);
        assert_eq!(split_lanes(&[], 2), vec![0..0]);
    }
}
