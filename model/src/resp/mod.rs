//! RESP2 and RESP3: frames, the incremental request parser, the encoder with
//! Redis's RESP2 downgrade rules, and a reply parser for clients and tests.

pub mod bulk_array;
pub mod encode;
pub mod frame;
pub mod reply;
pub mod request;

pub use bulk_array::{BulkArray, Kind as BulkKind};
pub use encode::{encode, encode_request, encode_to_vec};
pub use frame::Frame;
pub use reply::{parse_reply, ReplyError, ReplyReader};
pub use request::{ProtocolError, RequestParser};

/// The protocol a client speaks: RESP2 until it sends `HELLO 3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}
