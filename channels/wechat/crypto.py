"""Safe mode's AES layer (WeChat's 消息加解密技术方案), through wechatpy.

``msg_encrypt = base64(AES-256-CBC(random(16) + len(msg) as 4 bytes big-endian + msg +
AppID))`` with the key ``base64(EncodingAESKey + "=")`` and its first 16 bytes as IV.
Decryption checks the AppID at the end: a message for another official account is refused.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import struct

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from channels.wechat import security
from channels.wechat.errors import MalformedRequestError

_ALPHABET = string.ascii_letters + string.digits

ENVELOPE = (
    "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
    "<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
    "<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
)


class _Prp(PrpCrypto):
    def __init__(self, key: bytes, prefix: str | None = None) -> None:
        super().__init__(key)
        self._prefix = prefix

    # wechatpy draws the 16-byte prefix with random.sample; a CSPRNG costs nothing here.
    def get_random_string(self) -> str:
        return self._prefix or "".join(secrets.choice(_ALPHABET) for _ in range(16))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key behind a 43-character EncodingAESKey; ValueError when malformed."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class Cipher:
    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        self.token = token
        self.app_id = app_id
        self._key = aes_key(encoding_aes_key)

    def decrypt(self, encrypt: str) -> str:
        """The plaintext XML inside ``Encrypt``; refuses bad base64, padding or AppID."""
        try:
            base64.b64decode(encrypt, validate=True)
            return str(_Prp(self._key).decrypt(encrypt, self.app_id))
        except InvalidAppIdException as exc:
            raise MalformedRequestError() from exc
        except (binascii.Error, ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
            raise MalformedRequestError() from exc

    def encrypt(self, plaintext: str, prefix: str | None = None) -> str:
        """``prefix``: the 16 random bytes, fixed only to replay published test vectors."""
        return _Prp(self._key, prefix).encrypt(plaintext, self.app_id).decode()

    def seal(self, plaintext: str, nonce: str, timestamp: str) -> str:
        """A passive reply as safe mode wants it: encrypted and signed."""
        encrypt = self.encrypt(plaintext)
        signature = security.signature(self.token, timestamp, nonce, encrypt)
        return ENVELOPE.format(encrypt=encrypt, signature=signature, timestamp=timestamp, nonce=nonce)
