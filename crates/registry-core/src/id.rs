//! [`StoreId`]: what a store id must be.

use std::fmt;
use std::hash::Hash;

/// A store id: hashed and compared to find an entry, cloned into the entry and into each
/// [`LoadContext`](crate::LoadContext), printed in traces. Implemented for every type with
/// these bounds (`String`, integers, your own id newtypes).
///
/// The id's `Clone`, `Hash`, `Eq` and `Drop` run while the registry holds a borrow of its
/// state: they must not call back into the registry.
pub trait StoreId: Eq + Hash + Clone + fmt::Debug + 'static {}

impl<T: Eq + Hash + Clone + fmt::Debug + 'static> StoreId for T {}
