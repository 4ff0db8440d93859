"""Drives stixhub's TAXII 2.1 server with the OASIS taxii2-client (pinned in requirements.txt).

usage: taxii_client.py read DISCOVERY_URL TITLE
           anonymous: discovery -> API root -> collections -> pages of 100 through TITLE (following `next`)
       taxii_client.py write DISCOVERY_URL USER PASSWORD TITLE ENVELOPE_FILE
           Basic auth: POST the envelope, wait for the status, read back (match[type]), one object, its
           versions and the manifest
Prints one JSON line with what it saw; exits non-zero on any client error. Loopback only."""
import json
import sys

from taxii2client.v21 import Server, as_pages


def collection(server, title):
    root = server.default or server.api_roots[0]
    titles = [c.title for c in root.collections]
    matches = [c for c in root.collections if c.title == title]
    if not matches:
        raise SystemExit("no collection %r among %r" % (title, titles))
    return root, titles, matches[0]


def read(url, title):
    server = Server(url)
    root, titles, col = collection(server, title)
    ids, pages = [], 0
    for envelope in as_pages(col.get_objects, per_request=100):
        pages += 1
        ids.extend(o["id"] for o in envelope.get("objects", []))
    return {"server": server.title, "root_versions": root.versions, "titles": titles, "pages": pages, "ids": ids}


def write(url, user, password, title, envelope_file):
    server = Server(url, user=user, password=password)
    _, titles, col = collection(server, title)
    envelope = json.load(open(envelope_file))
    status = col.add_objects(envelope, wait_for_completion=True, poll_interval=0.2, timeout=30)
    first = envelope["objects"][0]
    types = col.get_objects(type=first["type"])
    one = col.get_object(first["id"])
    versions = col.object_versions(first["id"])
    manifest = col.get_manifest()
    return {
        "titles": titles,
        "status": status.status, "total": status.total_count, "success": status.success_count,
        "failure": status.failure_count, "pending": status.pending_count,
        "by_type": [o["id"] for o in types.get("objects", [])],
        "one": one.get("objects", []),
        "versions": versions.get("versions", []),
        "manifest": [m["id"] for m in manifest.get("objects", [])],
    }


def main():
    mode = sys.argv[1]
    if mode == "read":
        out = read(*sys.argv[2:4])
    elif mode == "write":
        out = write(*sys.argv[2:7])
    else:
        raise SystemExit("unknown mode %r" % mode)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
