//! Keys stored compactly: most keys are short (`user:1000`, `session:ab12`),
//! so up to [`INLINE_KEY`] bytes live inside the table entry itself with no
//! heap allocation; longer keys take one exact-size allocation. Sorted-set
//! trees store their members the same way.

use bytes::Bytes;

/// The longest key kept inline: 22 bytes, so that a key takes 24 bytes in
/// its entry either way (tag, length, bytes / tag, pointer, length).
pub const INLINE_KEY: usize = 22;

/// A key's bytes, inline or on the heap.
#[derive(Clone)]
pub enum Key {
    Inline { len: u8, buf: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl Key {
    pub fn new(bytes: &[u8]) -> Key {
        if bytes.len() <= INLINE_KEY {
            let mut buf = [0u8; INLINE_KEY];
            buf[..bytes.len()].copy_from_slice(bytes);
            Key::Inline { len: bytes.len() as u8, buf }
        } else {
            Key::Heap(bytes.into())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => &buf[..*len as usize],
            Key::Heap(b) => b,
        }
    }

    /// A copy for replies, the touched log and snapshots.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }

    /// Heap bytes owned besides the entry, for INFO memory.
    pub fn heap_bytes(&self) -> usize {
        Key::heap_len(self.as_bytes())
    }

    /// The heap bytes `Key::new(bytes)` owns, without making it (the one
    /// rule: [`Key::new`] is the only constructor).
    pub fn heap_len(bytes: &[u8]) -> usize {
        if bytes.len() <= INLINE_KEY {
            0
        } else {
            bytes.len()
        }
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_22_bytes() {
        assert_eq!(std::mem::size_of::<Key>(), 24);
        for len in [0, 1, 21, 22, 23, 100] {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let k = Key::new(&bytes);
            assert_eq!(k.as_bytes(), &bytes[..]);
            assert_eq!(matches!(k, Key::Inline { .. }), len <= INLINE_KEY);
        }
    }
}
