//! Cross-object reference checks for a [`Bundle`](crate::Bundle).

use crate::bundle::Bundle;
use crate::error::Violation;

/// Every reference between objects of `bundle` that does not resolve.
pub(crate) fn check(_bundle: &Bundle) -> Vec<Violation> {
    Vec::new()
}
