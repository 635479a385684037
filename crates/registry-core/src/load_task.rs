//! [`LoadTask`]: drives one load to its end, even when nobody awaits it.

use std::future::Future;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};

use crate::StoreId;
use crate::entry::EntryKey;
use crate::load::{Driven, Load};
use crate::shared::Shared;

/// The task that drives a load. Holds the registry and the load weakly: the entry (while the
/// load is in flight) and the load's waiters keep the load; a load that nothing keeps any more
/// (its entry ended or restarted, nobody waits) is dropped at once, with what it holds, rather
/// than whenever the runtime gets to drop this task.
pub(crate) struct LoadTask<K, S, E> {
    pub(crate) load: Weak<Load<S, E>>,
    pub(crate) registry: Weak<Shared<K>>,
    pub(crate) key: EntryKey,
}

impl<K: StoreId, S: 'static, E: 'static> Future for LoadTask<K, S, E> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(load) = self.load.upgrade() else {
            return Poll::Ready(());
        };
        let registry = self.registry.upgrade();
        let driven = match &registry {
            Some(shared) => shared.in_load_scope(|| load.drive(cx)),
            None => load.drive(cx),
        };
        let poll = match driven {
            Driven::Pending => Poll::Pending,
            Driven::Settled => Poll::Ready(()),
            Driven::Finished(outcome) => {
                match registry {
                    Some(shared) => shared.complete(self.key, &load, outcome),
                    None => load.settle(outcome).finish(),
                }
                Poll::Ready(())
            }
        };
        // If this was the last reference, the outcome (perhaps the store's last reference,
        // whose `Drop` may panic) is dropped contained.
        load.release();
        poll
    }
}
