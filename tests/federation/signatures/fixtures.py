"""Fixed keys, host and clock shared by the signature tests."""

from pathlib import Path

from federation.signatures import load_private_key, public_pem_of

HERE = Path(__file__).parent
PRIVATE_PEM = (HERE / "test_key_rsa.pem").read_text()
PUBLIC_PEM = public_pem_of(load_private_key(PRIVATE_PEM))
OTHER_PRIVATE_PEM = (HERE / "other_key_rsa.pem").read_text()
OTHER_PUBLIC_PEM = public_pem_of(load_private_key(OTHER_PRIVATE_PEM))

HOST = "hub.example"
INBOX = f"https://{HOST}/groups/climate/inbox"
KEY_ID = "https://mastodon.example/users/alice#main-key"
NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
BODY = b'{"type":"Follow","actor":"https://mastodon.example/users/alice"}'

# RFC 9421 appendix B.1.4 (test-key-ed25519, public half) and the B.2 test-request.
RFC_ED25519_PUBLIC_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    "-----END PUBLIC KEY-----\n"
)
RFC_TARGET_URI = "https://example.com/foo?param=Value&Pet=dog"
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
RFC_BODY = b'{"hello": "world"}'
RFC_CREATED = 1618884473
RFC_B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)
