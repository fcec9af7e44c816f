//! One pool of encoder threads for the whole process, one per core plus one, shared by every
//! month in flight: `--concurrency 4` on 2 cores encodes on 3 threads, not 12.
//!
//! Work reaches it through [`Actor`]s: a queue of messages that are handled in order, one at a
//! time, on whichever pool thread is free. An actor is scheduled on the pool only while it has
//! messages, so a month waiting for the API holds no thread. Its queue is bounded: a sender
//! blocks while it is full (backpressure).

use std::collections::VecDeque;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The process-wide pool.
struct Pool {
    jobs: Mutex<Sender<Job>>,
}

/// Encoder threads (and a month's column lanes): one more than the cores. The extra lane
/// splits each row group's columns finer, so the lanes finish closer together at every row
/// group's close and the scheduler has work for a core that would otherwise wait: 1M-row
/// replay 0.92x the wall time of one per core on 2 cores, same CPU and peak (BENCHMARKS.md §4).
pub(crate) fn encoder_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) + 1
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = encoder_threads();
        for n in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("parquet-encoder-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        job();
                    }
                })
                .expect("spawn an encoder thread");
        }
        Pool {
            jobs: Mutex::new(tx),
        }
    })
}

fn spawn(job: Job) {
    let tx = pool()
        .jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let _ = tx.send(job);
}

/// How an actor handles its messages. `handle` runs on a pool thread, never on two at once.
pub(crate) trait Handler: Send + 'static {
    /// The message type.
    type Msg: Send + 'static;
    /// Handles one message.
    fn handle(&mut self, msg: Self::Msg);
}

struct Queue<M> {
    items: VecDeque<M>,
    /// A job is scheduled or running for this actor.
    running: bool,
    /// The owner is gone: drop what is queued, handle nothing more.
    closed: bool,
}

struct Shared<H: Handler> {
    queue: Mutex<Queue<H::Msg>>,
    space: Condvar,
    handler: Mutex<H>,
    capacity: usize,
}

/// A handler on the shared pool with a queue of at most `capacity` messages.
pub(crate) struct Actor<H: Handler> {
    shared: Arc<Shared<H>>,
}

impl<H: Handler> Actor<H> {
    /// An actor running `handler`.
    pub(crate) fn new(handler: H, capacity: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    items: VecDeque::with_capacity(capacity),
                    running: false,
                    closed: false,
                }),
                space: Condvar::new(),
                handler: Mutex::new(handler),
                capacity: capacity.max(1),
            }),
        }
    }

    /// Queues `msg`, waiting while the queue is full.
    pub(crate) fn send(&self, msg: H::Msg) {
        let s = &self.shared;
        let mut q = s.queue.lock().unwrap_or_else(|e| e.into_inner());
        while q.items.len() >= s.capacity {
            q = s.space.wait(q).unwrap_or_else(|e| e.into_inner());
        }
        q.items.push_back(msg);
        if !q.running {
            q.running = true;
            let shared = s.clone();
            spawn(Box::new(move || run(&shared)));
        }
    }
}

impl<H: Handler> Drop for Actor<H> {
    fn drop(&mut self) {
        let mut q = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.closed = true;
        q.items.clear();
    }
}

/// Handles the actor's messages until its queue is empty.
fn run<H: Handler>(s: &Shared<H>) {
    loop {
        let msg = {
            let mut q = s.queue.lock().unwrap_or_else(|e| e.into_inner());
            match q.items.pop_front() {
                Some(m) if !q.closed => m,
                _ => {
                    q.running = false;
                    return;
                }
            }
        };
        s.space.notify_one();
        s.handler
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .handle(msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    struct Collect(Vec<u32>, std::sync::mpsc::SyncSender<Vec<u32>>);

    impl Handler for Collect {
        type Msg = Option<u32>;
        fn handle(&mut self, msg: Option<u32>) {
            match msg {
                Some(n) => self.0.push(n),
                None => {
                    let _ = self.1.send(std::mem::take(&mut self.0));
                }
            }
        }
    }

    #[test]
    fn many_actors_keep_their_order_on_the_shared_threads() {
        let mut done = Vec::new();
        let actors: Vec<Actor<Collect>> = (0..8)
            .map(|_| {
                let (tx, rx) = sync_channel(1);
                done.push(rx);
                Actor::new(Collect(Vec::new(), tx), 2)
            })
            .collect();
        for n in 0..500 {
            for a in &actors {
                a.send(Some(n));
            }
        }
        for a in &actors {
            a.send(None);
        }
        for rx in done {
            let got = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
            assert_eq!(got, (0..500).collect::<Vec<_>>());
        }
    }
}
