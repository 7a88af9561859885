//! Elements on their way into a reply: copied out of the nodes into one
//! buffer, then handed out as slices of it, so that LRANGE or LPOP with a
//! count allocates once for all its elements rather than once each.

use bytes::Bytes;
use redsim_model::Frame;

use super::entry::Elem;

pub struct Collected {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Collected {
    pub fn with_capacity(elements: usize, text: usize) -> Collected {
        Collected { text: Vec::with_capacity(text), ends: Vec::with_capacity(elements) }
    }

    #[inline]
    pub fn push(&mut self, e: Elem<'_>) {
        self.text.extend_from_slice(e.text(&mut [0u8; 20]));
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The elements, in the order they were pushed, each made by `make`.
    pub fn map<T>(self, mut make: impl FnMut(Bytes) -> T) -> Vec<T> {
        let all = Bytes::from(self.text);
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let b = all.slice(start..end);
                start = end;
                make(b)
            })
            .collect()
    }

    /// The elements as a reply: an array of bulk strings.
    pub fn into_frame(self) -> Frame {
        Frame::Array(self.map(Frame::Bulk))
    }
}
