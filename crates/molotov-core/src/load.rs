//! The tasks that keep a load model going beside the workers: they release the runs, start
//! workers when the model asks for more, and publish the schedule's live figures.
//!
//! - Open model: while a worker waits for a run, the dispatcher waits for the next run's due
//!   time (on a precise timer, [`Alarm`]) and releases it: a waiting worker is woken for it,
//!   or, when every worker is busy, the run waits. If it still waits [`BUSY_GRACE`] later
//!   and the workers, not the thread, were short, one more worker starts for each due run
//!   waiting, up to `max_workers` ([`Growth`]: as k6 allocates one per missed iteration, but
//!   not for a worker about to finish, nor while the generator is catching up); past that,
//!   the run waits for a worker and starts late. While every worker is busy and none
//!   can be added, the dispatcher waits for one to be idle instead: busy workers take the due
//!   runs themselves.
//!   The schedule's rate now goes to [`Progress`](crate::Progress) once a second, and sets
//!   how early a run may start ([`early_window`](crate::pacing::early_window)); the moment
//!   the run is asked to stop is noted, so only runs due before it count as scheduled.
//! - Closed model with stages: every 50 ms, workers start in the slots under the stage's
//!   count that have none (workers over it stop by themselves, asking their pacing).

use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::alarm::Alarm;
use crate::config::Load;
use crate::pacing::{Pacing, Staffing, Timetable};
use crate::worker::Shared;

/// How long a due run that found every worker busy may wait for one to finish before one more
/// worker may start for it ([`Growth`]): a worker finishing a moment later takes it, well
/// within [`LATE`] (a worker added for it would open one more connection and start no sooner).
///
/// [`LATE`]: crate::pacing::LATE
const BUSY_GRACE: Duration = Duration::from_micros(250);

/// How often the stage controller looks at the count.
const STAFFING_TICK: Duration = Duration::from_millis(50);

/// The model's helper tasks; `spawn` takes the slots of workers to start.
pub(crate) fn spawn_helpers(
    shared: &Rc<Shared>,
    spawn: &UnboundedSender<usize>,
) -> Vec<JoinHandle<()>> {
    let mut helpers = Vec::new();
    let config = &shared.env.info.config;
    match &shared.pacing {
        Pacing::Closed => {}
        Pacing::Staged(staffing) => {
            helpers.push(tokio::task::spawn_local(staff(
                shared.clone(),
                staffing.clone(),
                spawn.clone(),
            )));
        }
        Pacing::Open(timetable) => {
            if let Load::Open(arrivals) = &config.load {
                let workers = (config.workers.get(), arrivals.max_workers.get());
                helpers.push(tokio::task::spawn_local(dispatch(
                    shared.clone(),
                    timetable.clone(),
                    spawn.clone(),
                    workers,
                )));
            }
            helpers.push(tokio::task::spawn_local(publish(
                shared.clone(),
                timetable.clone(),
            )));
        }
    }
    helpers
}

/// Releases each run at its due time; starts a worker for the runs that wait for a busy one
/// ([`Growth`]), from `workers.0` up to `workers.1`.
async fn dispatch(
    shared: Rc<Shared>,
    timetable: Rc<Timetable>,
    spawn: UnboundedSender<usize>,
    (started, most): (usize, usize),
) {
    let mut alarm = Alarm::new(shared.env.info.config.timer);
    timetable.begun().await;
    // The last first worker to be set up started its scenario loop as it started the
    // schedule: let it reach its claim, so the first run finds it waiting (not a reason to
    // start one more worker).
    tokio::task::yield_now().await;
    let mut growth = Growth {
        started,
        most,
        recheck: None,
    };
    loop {
        let due = timetable.release_time(timetable.released());
        // The next wake: the next run's due time, or the look at the runs waiting.
        let Some(asked) = due.into_iter().chain(growth.wake(&alarm)).min() else {
            if timetable.ends_at_deadline(timetable.released()) {
                // The deadline comes first: it stops the run (and the waiting workers).
                shared.shutdown.stopped().await;
                return;
            }
            // No more runs: the schedule ends with its last stage (the run lasts the stages'
            // length, as the profile says, not until its last run).
            if let Some(end) = timetable.schedule_end() {
                tokio::select! {
                    () = alarm.until(end) => {}
                    () = shared.shutdown.stopped() => {}
                }
            }
            timetable.exhaust();
            return;
        };
        if timetable.all_busy() && growth.is_full() {
            // Nobody to wake and no worker to add: the workers take the due runs themselves
            // as they finish. Wait until one waits for a run instead of for each due time.
            growth.recheck = None;
            tokio::select! {
                () = timetable.went_idle() => {}
                () = shared.shutdown.stopped() => return,
            }
            continue;
        }
        tokio::select! {
            () = alarm.until(asked) => {}
            () = shared.shutdown.stopped() => return,
        }
        let woke = Instant::now();
        for _ in 0..growth.check(&timetable, &alarm, asked, woke) {
            if spawn.send(growth.started).is_err() {
                return;
            }
            growth.started += 1;
            timetable.adding_worker();
        }
        // Every run due by now that no worker took itself meanwhile, and the runs due within
        // the window while workers wait for one (at high rates, several per wake).
        let (due_by, ahead) = (woke + alarm.lead(), woke + alarm.window(timetable.early()));
        if timetable.release_due(due_by, ahead) > 0 {
            growth.missed(&timetable, due_by);
        }
        // Let the woken workers start before the next wait.
        tokio::task::yield_now().await;
    }
}

/// The workers the dispatcher adds, from `-w` up to `--max-workers`: none at once for a due
/// run that found every worker busy. If it still waits [`BUSY_GRACE`] later, one more worker
/// starts for each due run waiting, at most as many as there are (they at most double each
/// time), if the workers were short and not the generator's thread: the dispatcher woke on
/// time (its thread had time to spare, [`Alarm::punctual`]), and the runs waiting did not go
/// down meanwhile (the thread was not catching up after a pause of its own). More workers would
/// not speed up a busy thread: their connections would slow it down. While runs still wait,
/// it looks again after each grace.
struct Growth {
    /// The workers started so far.
    started: usize,
    /// The most allowed.
    most: usize,
    /// When to look again at the runs waiting, and how many waited then.
    recheck: Option<(Instant, u64)>,
}

impl Growth {
    /// Whether the most workers allowed are started.
    fn is_full(&self) -> bool {
        self.started >= self.most
    }

    /// Due runs found every worker busy at `due_by`: look again after the grace.
    fn missed(&mut self, timetable: &Timetable, due_by: Instant) {
        if self.recheck.is_none() {
            self.recheck = Some((due_by + BUSY_GRACE, timetable.waiting(due_by)));
        }
    }

    /// When to ask the alarm for, to look again in time (it returns its lead before).
    fn wake(&self, alarm: &Alarm) -> Option<Instant> {
        self.recheck.map(|(at, _)| at + alarm.lead())
    }

    /// The workers to add now, at `woke` (the alarm asked for `asked`).
    fn check(
        &mut self,
        timetable: &Timetable,
        alarm: &Alarm,
        asked: Instant,
        woke: Instant,
    ) -> u64 {
        let Some((_, before)) = self.recheck.filter(|&(at, _)| at <= woke) else {
            return 0;
        };
        self.recheck = None;
        let waiting = timetable.waiting(woke);
        let short = alarm.punctual(asked, woke) && waiting >= before;
        let room = self.most.saturating_sub(self.started) as u64;
        let added = if short {
            waiting.min(self.started as u64).min(room)
        } else {
            0
        };
        if waiting > added && added < room {
            self.recheck = Some((woke + BUSY_GRACE, waiting - added));
        }
        added
    }
}

/// Publishes the schedule's rate once a second, and notes when the run is asked to stop.
async fn publish(shared: Rc<Shared>, timetable: Rc<Timetable>) {
    let progress = shared.progress.clone();
    let stop = async {
        shared.shutdown.stopped().await;
        timetable.note_stop();
    };
    let rate = async {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticker.tick().await;
            let rate = timetable.rate_now();
            progress.set_target_rate(rate);
            timetable.follow_rate(rate);
        }
    };
    tokio::select! {
        () = stop => {}
        () = rate => {}
    }
    progress.set_target_rate(0.0);
}

/// Keeps a worker in every slot under the stages' count.
async fn staff(shared: Rc<Shared>, staffing: Rc<Staffing>, spawn: UnboundedSender<usize>) {
    let mut ticker = tokio::time::interval(STAFFING_TICK);
    loop {
        ticker.tick().await;
        if shared.shutdown.is_stopping() || staffing.is_over() {
            return;
        }
        let target = staffing.target();
        let mut alive = staffing.alive.borrow_mut();
        for (slot, taken) in alive.iter_mut().enumerate().take(target) {
            if !*taken {
                // Taken now: the worker may not have started by the next tick.
                *taken = true;
                if spawn.send(slot).is_err() {
                    return;
                }
            }
        }
    }
}
