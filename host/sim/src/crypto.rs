//! The server half of MTProto 2.0 message encryption.
//!
//! grammers only ships the client half (it encrypts with x = 0 and decrypts with x = 8), so the
//! simulator mirrors it: it decrypts with x = 0 and encrypts with x = 8, over the same AES-IGE
//! primitive. Spec: <https://core.telegram.org/mtproto/description>.

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A 2048-bit authorization key as both sides hold it.
#[derive(Clone)]
pub struct AuthKey {
    pub data: [u8; 256],
    /// The low 64 bits of SHA1(key): what every encrypted packet starts with.
    pub id: [u8; 8],
}

impl AuthKey {
    pub fn new(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut id = [0; 8];
        id.copy_from_slice(&sha[12..20]);
        Self { data, id }
    }

    pub fn id_u64(&self) -> u64 {
        u64::from_le_bytes(self.id)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("encrypted packet has a bad length ({0} bytes)")]
    BadLength(usize),
    #[error("msg_key does not match the decrypted payload")]
    MsgKeyMismatch,
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn key_iv(auth_key: &[u8; 256], msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
    let a = sha256(&[msg_key, &auth_key[x..x + 36]]);
    let b = sha256(&[&auth_key[40 + x..40 + x + 36], msg_key]);
    let mut key = [0; 32];
    key[..8].copy_from_slice(&a[..8]);
    key[8..24].copy_from_slice(&b[8..24]);
    key[24..].copy_from_slice(&a[24..]);
    let mut iv = [0; 32];
    iv[..8].copy_from_slice(&b[..8]);
    iv[8..24].copy_from_slice(&a[8..24]);
    iv[24..].copy_from_slice(&b[24..]);
    (key, iv)
}

/// Decrypts a client packet (`auth_key_id ‖ msg_key ‖ ciphertext`) in place and returns the
/// plaintext (`salt ‖ session_id ‖ message ‖ padding`).
pub fn decrypt_from_client<'a>(key: &AuthKey, packet: &'a mut [u8]) -> Result<&'a [u8], CryptoError> {
    if packet.len() < 24 || !(packet.len() - 24).is_multiple_of(16) {
        return Err(CryptoError::BadLength(packet.len()));
    }
    let mut msg_key = [0; 16];
    msg_key.copy_from_slice(&packet[8..24]);
    let (k, iv) = key_iv(&key.data, &msg_key, 0);
    let body = &mut packet[24..];
    ige_decrypt(body, &k, &iv);
    let check = sha256(&[&key.data[88..120], body]);
    if check[8..24] != msg_key {
        return Err(CryptoError::MsgKeyMismatch);
    }
    Ok(&packet[24..])
}

/// Encrypts a plaintext (`salt ‖ session_id ‖ message`) for the client, adding the 12–1024
/// bytes of random padding MTProto 2.0 asks for.
pub fn encrypt_for_client(key: &AuthKey, mut plaintext: Vec<u8>) -> Vec<u8> {
    let pad = 16 + (16 - plaintext.len() % 16);
    let mut padding = [0u8; 32];
    rand::Rng::fill(&mut rand::thread_rng(), &mut padding[..]);
    plaintext.extend_from_slice(&padding[..pad]);
    let large = sha256(&[&key.data[96..128], &plaintext]);
    let mut msg_key = [0; 16];
    msg_key.copy_from_slice(&large[8..24]);
    let (k, iv) = key_iv(&key.data, &msg_key, 8);
    ige_encrypt(&mut plaintext, &k, &iv);
    let mut out = Vec::with_capacity(24 + plaintext.len());
    out.extend_from_slice(&key.id);
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plaintext);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// grammers' own client-side encryption must round-trip through our server-side decryption,
    /// and our server-side encryption through its client-side decryption.
    #[test]
    fn interoperates_with_grammers_crypto() {
        let mut data = [0u8; 256];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        let key = AuthKey::new(data);
        let gkey = grammers_crypto::AuthKey::from_bytes(data);

        let message = b"0123456789abcdef-hello-simulator".to_vec();
        let mut buf = grammers_crypto::DequeBuffer::with_capacity(message.len(), 32);
        buf.extend(message.iter().copied());
        grammers_crypto::encrypt_data_v2(&mut buf, &gkey);
        let mut packet = buf.as_ref().to_vec();
        assert_eq!(&packet[..8], &key.id);
        let plain = decrypt_from_client(&key, &mut packet).expect("decrypts");
        assert_eq!(&plain[..message.len()], &message[..]);

        let mut reply = encrypt_for_client(&key, message.clone());
        let plain = grammers_crypto::decrypt_data_v2(&mut reply, &gkey).expect("client decrypts");
        assert_eq!(&plain[..message.len()], &message[..]);

        let mut tampered = encrypt_for_client(&key, message);
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(grammers_crypto::decrypt_data_v2(&mut tampered, &gkey).is_err());
    }
}
