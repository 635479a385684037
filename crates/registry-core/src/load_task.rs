//! [`LoadTask`]: drives one load to its end, even when nobody awaits it.

use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use crate::StoreId;
use crate::entry::EntryKey;
use crate::load::{Driven, Load};
use crate::shared::Shared;

/// The task that drives a load. Holds the registry weakly.
pub(crate) struct LoadTask<K, S, E> {
    pub(crate) load: Rc<Load<S, E>>,
    pub(crate) registry: Weak<Shared<K>>,
    pub(crate) key: EntryKey,
}

impl<K: StoreId, S: 'static, E: 'static> Future for LoadTask<K, S, E> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let registry = self.registry.upgrade();
        let driven = match &registry {
            Some(shared) => shared.in_load_scope(|| self.load.drive(cx)),
            None => self.load.drive(cx),
        };
        match driven {
            Driven::Pending => Poll::Pending,
            Driven::Settled => Poll::Ready(()),
            Driven::Finished(outcome) => {
                match registry {
                    Some(shared) => shared.complete(self.key, &self.load, outcome),
                    None => self.load.settle(outcome).finish(),
                }
                Poll::Ready(())
            }
        }
    }
}

impl<K, S, E> Drop for LoadTask<K, S, E> {
    fn drop(&mut self) {
        self.load.release();
    }
}
