#!/usr/bin/python3
# Test-only peer: Debian's python3-fido2 (0.9.1) drives a FIDO2 device at a given path.
# Used to prove the software authenticator faithful and to cross-check our hmac-secret
# output byte for byte. PINs arrive on stdin (never argv). Prints one JSON object.
import argparse
import json
import sys
import time

from fido2.ctap2 import Ctap2
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.hid.linux import get_descriptor, open_connection


def open_ctap(path):
    descriptor = get_descriptor(path)
    return Ctap2(CtapHidDevice(descriptor, open_connection(descriptor)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("op", choices=["make", "hmac", "info"])
    parser.add_argument("--device", required=True)
    parser.add_argument("--rp", default="example.org")
    parser.add_argument("--protocol", type=int, default=2)
    parser.add_argument("--pin-stdin", action="store_true")
    parser.add_argument("--cred")
    parser.add_argument("--salt1")
    parser.add_argument("--salt2")
    parser.add_argument("--no-up", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    pin = sys.stdin.readline().rstrip("\n") if args.pin_stdin else None

    ctap = open_ctap(args.device)
    if args.op == "info":
        print(json.dumps({"versions": ctap.info.versions, "extensions": ctap.info.extensions}))
        return
    protocol = PinProtocolV1() if args.protocol == 1 else PinProtocolV2()
    cdh = bytes(32)

    if args.op == "make":
        token = None
        if pin is not None:
            token = ClientPin(ctap, protocol).get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, args.rp)
        resp = ctap.make_credential(
            cdh,
            {"id": args.rp, "name": args.rp},
            {"id": b"user-id-1", "name": "alice"},
            [{"type": "public-key", "alg": -7}],
            extensions={"hmac-secret": True},
            pin_uv_param=protocol.authenticate(token, cdh) if token else None,
            pin_uv_protocol=protocol.VERSION if token else None,
        )
        cred = resp.auth_data.credential_data.credential_id
        print(json.dumps({"credentialId": cred.hex(), "hmacSecret": resp.auth_data.extensions.get("hmac-secret") is True}))
        return

    salts = {"salt1": bytes.fromhex(args.salt1)}
    if args.salt2:
        salts["salt2"] = bytes.fromhex(args.salt2)
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        ext = HmacSecretExtension(ctap, protocol)
        token = None
        if pin is not None:
            token = ClientPin(ctap, protocol).get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, args.rp)
        ext_in = ext.process_get_input({"hmacGetSecret": salts})
        resp = ctap.get_assertion(
            args.rp,
            cdh,
            [{"type": "public-key", "id": bytes.fromhex(args.cred)}],
            extensions={"hmac-secret": ext_in},
            options={"up": False} if args.no_up else None,
            pin_uv_param=protocol.authenticate(token, cdh) if token else None,
            pin_uv_protocol=protocol.VERSION if token else None,
        )
        out = ext.process_get_output(resp.auth_data)["hmacGetSecret"]
        times.append((time.perf_counter() - started) * 1000)
    result = {"output1": out["output1"].hex(), "uv": bool(resp.auth_data.flags & 0x04), "ms": times}
    if "output2" in out:
        result["output2"] = out["output2"].hex()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
