use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures::future::LocalBoxFuture;

use super::Runtime;
use crate::Subscription;

/// A deterministic runtime for tests: a virtual clock and a single-threaded executor that only
/// runs when told to, like `tokio::time::pause` + `advance`.
///
/// Cheap to clone; clones share the clock and the tasks. Tasks run in the order they were woken.
///
/// ```
/// use std::time::Duration;
/// use registry_core::{Runtime, test_util::TestRuntime};
///
/// let rt = TestRuntime::new();
/// let done = std::rc::Rc::new(std::cell::Cell::new(false));
/// let flag = done.clone();
/// let sleep = rt.sleep(Duration::from_secs(5));
/// rt.spawn_local(Box::pin(async move {
///     sleep.await;
///     flag.set(true);
/// }));
/// rt.advance(Duration::from_secs(4));
/// assert!(!done.get());
/// rt.advance(Duration::from_secs(1));
/// assert!(done.get());
/// assert_eq!(rt.now(), Duration::from_secs(5));
/// ```
#[derive(Clone, Default)]
pub struct TestRuntime {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    tasks: RefCell<BTreeMap<u64, Option<LocalBoxFuture<'static, ()>>>>,
    next_task: Cell<u64>,
    ready: Arc<Mutex<VecDeque<u64>>>,
    /// Tasks woken while they were being polled further up the stack (a task that runs
    /// `run_until_stalled` or `advance` inside its own poll): polled again once that poll
    /// returns, so the wake-up is not lost.
    woken_while_polled: RefCell<Vec<u64>>,
    now: Cell<Duration>,
    timers: RefCell<BTreeMap<(Duration, u64), Waker>>,
    next_timer: Cell<u64>,
    hidden: Cell<bool>,
    visibility_listeners: RefCell<slab::Slab<Rc<dyn Fn()>>>,
}

struct TaskWaker {
    id: u64,
    ready: Arc<Mutex<VecDeque<u64>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(self.id);
    }
}

impl TestRuntime {
    /// A runtime at virtual time zero, with no tasks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs every task that can make progress until none can. Returns how many polls ran.
    ///
    /// May be called from inside a task: the task being polled is skipped.
    pub fn run_until_stalled(&self) -> usize {
        let mut polls = 0;
        loop {
            let next = self
                .inner
                .ready
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            let Some(id) = next else { return polls };
            let future = self
                .inner
                .tasks
                .borrow_mut()
                .get_mut(&id)
                .and_then(Option::take);
            let Some(mut future) = future else {
                if self.inner.tasks.borrow().contains_key(&id) {
                    self.inner.woken_while_polled.borrow_mut().push(id);
                }
                continue;
            };
            let waker = Waker::from(Arc::new(TaskWaker {
                id,
                ready: Arc::clone(&self.inner.ready),
            }));
            polls += 1;
            let done = future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready();
            let mut tasks = self.inner.tasks.borrow_mut();
            let mut woken = self.inner.woken_while_polled.borrow_mut();
            let was_woken = woken
                .iter()
                .position(|&woken| woken == id)
                .map(|at| woken.swap_remove(at));
            drop(woken);
            if done {
                tasks.remove(&id);
            } else if let Some(slot) = tasks.get_mut(&id) {
                *slot = Some(future);
                if was_woken.is_some() {
                    self.inner
                        .ready
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push_back(id);
                }
            }
        }
    }

    /// Moves the virtual clock forward by `duration`, firing due timers in deadline order and
    /// running tasks after each, then runs tasks until they stall.
    pub fn advance(&self, duration: Duration) {
        let target = self.inner.now.get().saturating_add(duration);
        self.run_until_stalled();
        while let Some(deadline) = self.next_timer().filter(|d| *d <= target) {
            self.fire_until(deadline);
        }
        self.inner.now.set(target.max(self.inner.now.get()));
        self.run_until_stalled();
    }

    /// Drives `future` to completion, running tasks and jumping the clock to the next timer
    /// whenever everything stalls.
    ///
    /// # Panics
    ///
    /// If `future` is still pending when no task can run and no timer is armed: it would never
    /// finish.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let woken = Arc::new(FlagWaker::default());
        let waker = Waker::from(Arc::clone(&woken));
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            self.run_until_stalled();
            if woken.take() {
                continue;
            }
            match self.next_timer() {
                Some(deadline) => self.fire_until(deadline),
                None if woken.take() => {}
                None => panic!(
                    "TestRuntime::block_on: the future is pending, no task can run and no timer is armed, so it can never finish"
                ),
            }
        }
    }

    /// Simulates the page being hidden (`true`, a background tab) or visible again: calls
    /// every listener registered through [`Runtime::on_visibility_change`] when the state
    /// changes, then runs tasks until they stall.
    pub fn set_hidden(&self, hidden: bool) {
        if self.inner.hidden.replace(hidden) == hidden {
            return;
        }
        let listeners: Vec<Rc<dyn Fn()>> = self
            .inner
            .visibility_listeners
            .borrow()
            .iter()
            .map(|(_, listener)| Rc::clone(listener))
            .collect();
        listeners.iter().for_each(|listener| listener());
        self.run_until_stalled();
    }

    /// The virtual time elapsed since the runtime was created.
    pub fn now(&self) -> Duration {
        self.inner.now.get()
    }

    /// How many sleeps are armed (polled and not yet fired or dropped).
    pub fn armed_timers(&self) -> usize {
        self.inner.timers.borrow().len()
    }

    /// How many spawned tasks have not finished.
    pub fn live_tasks(&self) -> usize {
        self.inner.tasks.borrow().len()
    }

    fn next_timer(&self) -> Option<Duration> {
        self.inner
            .timers
            .borrow()
            .keys()
            .next()
            .map(|(deadline, _)| *deadline)
    }

    /// Sets the clock to `deadline`, wakes every timer due by then and runs tasks.
    fn fire_until(&self, deadline: Duration) {
        self.inner.now.set(deadline.max(self.inner.now.get()));
        let now = self.inner.now.get();
        let due: Vec<Waker> = {
            let mut timers = self.inner.timers.borrow_mut();
            let later = timers.split_off(&(now, u64::MAX));
            std::mem::replace(&mut *timers, later)
                .into_values()
                .collect()
        };
        due.into_iter().for_each(Waker::wake);
        self.run_until_stalled();
    }
}

impl Runtime for TestRuntime {
    fn spawn_local(&self, task: LocalBoxFuture<'static, ()>) {
        let id = self.inner.next_task.get();
        self.inner.next_task.set(id + 1);
        self.inner.tasks.borrow_mut().insert(id, Some(task));
        self.inner
            .ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(id);
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        let id = self.inner.next_timer.get();
        self.inner.next_timer.set(id + 1);
        Box::pin(Sleep {
            runtime: Rc::downgrade(&self.inner),
            deadline: self.inner.now.get().saturating_add(duration),
            id,
        })
    }

    fn now(&self) -> Duration {
        self.inner.now.get()
    }

    fn is_hidden(&self) -> bool {
        self.inner.hidden.get()
    }

    fn on_visibility_change(&self, listener: Box<dyn Fn()>) -> Subscription {
        let key = self
            .inner
            .visibility_listeners
            .borrow_mut()
            .insert(Rc::from(listener));
        let inner = Rc::downgrade(&self.inner);
        Subscription::new(move || {
            if let Some(inner) = inner.upgrade()
                && let Ok(mut listeners) = inner.visibility_listeners.try_borrow_mut()
            {
                listeners.try_remove(key);
            }
        })
    }
}

impl fmt::Debug for TestRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRuntime")
            .field("now", &self.now())
            .field("live_tasks", &self.live_tasks())
            .field("armed_timers", &self.armed_timers())
            .finish()
    }
}

#[derive(Default)]
struct FlagWaker(std::sync::atomic::AtomicBool);

impl FlagWaker {
    fn take(&self) -> bool {
        self.0.swap(false, std::sync::atomic::Ordering::SeqCst)
    }
}

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

struct Sleep {
    runtime: Weak<Inner>,
    deadline: Duration,
    id: u64,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(runtime) = self.runtime.upgrade() else {
            return Poll::Pending;
        };
        let mut timers = runtime.timers.borrow_mut();
        if runtime.now.get() >= self.deadline {
            timers.remove(&(self.deadline, self.id));
            return Poll::Ready(());
        }
        timers.insert((self.deadline, self.id), cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.upgrade()
            && let Ok(mut timers) = runtime.timers.try_borrow_mut()
        {
            timers.remove(&(self.deadline, self.id));
        }
    }
}
