#!/usr/bin/python3
# Independent reader of an OBCRED01 file for the layout test: Python's `cryptography` (AES-GCM)
# and hashlib (PBKDF2), and Debian's `argon2` command for the password hash. Shares no code
# with the engine. argv: key_file machine_id_file cred_salt cred_file; stdin: the password.
# Prints one JSON object: the file's framing, the decrypted JSON, and argon2's recomputed hash.
import base64, hashlib, json, subprocess, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key_file, machine_id_file, cred_salt, cred_file = sys.argv[1:5]
password = sys.stdin.buffer.read()
material = open(key_file, 'rb').read()[:32] + open(machine_id_file, 'rb').read().split(b'\n')[0]
key = hashlib.pbkdf2_hmac('sha256', material, open(cred_salt, 'rb').read(), 100000, 32)
data = open(cred_file, 'rb').read()
magic, iv, sealed = data[:8], data[8:20], data[20:]
plaintext = AESGCM(key).decrypt(iv, sealed, None)  # raises on a wrong tag
entry = json.loads(plaintext)
salt = base64.b64decode(entry['salt'], validate=True)
stored = base64.b64decode(entry['password_hash'], validate=True)
recomputed = None
if b'\0' not in salt:
    # argon2(1) takes the salt as an argument: bytes argv, so any non-NUL byte passes through.
    out = subprocess.run(['/usr/bin/argon2', salt, '-id', '-t', '3', '-m', '16', '-p', '1', '-l', '32', '-r', '-v', '13'],
                         input=password, capture_output=True, check=True)
    recomputed = out.stdout.strip().decode()
print(json.dumps({
    'magic': magic.decode('latin1'),
    'iv_len': len(iv),
    'ciphertext_len': len(sealed) - 16,
    'plaintext_len': len(plaintext),
    'entry': entry,
    'types': {k: type(v).__name__ for k, v in entry.items()},
    'salt_len': len(salt),
    'hash_len': len(stored),
    'stored_hex': stored.hex(),
    'argon2_hex': recomputed,
}))
