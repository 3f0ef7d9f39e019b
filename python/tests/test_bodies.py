"""Request bodies aiohttp's payload machinery makes: multipart ``FormData`` with files,
``MultipartWriter``, file objects, async generators. The target's ``/echo`` gives back the
exact bytes it received (``body_base64``) and the headers; the tests parse the multipart body
themselves.
"""

from conftest import Molotov

SCRIPT = """
import base64
import io

import aiohttp
import molotov

API = "http://localhost:8080"
BINARY = bytes(range(256)) * 4


async def echo(request):
    async with request as resp:
        assert resp.status == 200, resp.status
        echoed = await resp.json()
    echoed["raw"] = base64.b64decode(echoed["body_base64"])
    return echoed


def parts(echoed):
    \"\"\"The parts of a multipart/form-data body: (headers, content) pairs.\"\"\"
    content_type = echoed["headers"]["content-type"]
    assert content_type.startswith("multipart/form-data; boundary="), content_type
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    body = echoed["raw"]
    assert body.startswith(b"--" + boundary + b"\\r\\n"), body[:80]
    assert body.endswith(b"\\r\\n--" + boundary + b"--\\r\\n"), body[-80:]
    found = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        assert chunk.startswith(b"\\r\\n") and chunk.endswith(b"\\r\\n"), chunk[:80]
        head, content = chunk[2:-2].split(b"\\r\\n\\r\\n", 1)
        headers = {}
        for line in head.decode().split("\\r\\n"):
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        found.append((headers, content))
    assert len(echoed["raw"]) == int(echoed["headers"]["content-length"])
    return found


@molotov.scenario()
async def bodies(session):
    # FormData with a field and two files: multipart, with its boundary.
    form = aiohttp.FormData()
    form.add_field("name", "molotov")
    form.add_field("blob", io.BytesIO(BINARY), filename="blob.bin",
                   content_type="application/x-molotov")
    form.add_field("notes", io.BytesIO(b"line 1\\nline 2\\n"), filename="notes.txt")
    echoed = await echo(session.post(API + "/echo", data=form))
    (h1, c1), (h2, c2), (h3, c3) = parts(echoed)
    assert c1 == b"molotov" and 'name="name"' in h1["content-disposition"], h1
    assert c2 == BINARY, len(c2)
    assert h2["content-type"] == "application/x-molotov", h2
    assert 'name="blob"' in h2["content-disposition"], h2
    assert 'filename="blob.bin"' in h2["content-disposition"], h2
    assert c3 == b"line 1\\nline 2\\n" and 'filename="notes.txt"' in h3["content-disposition"]

    # A MultipartWriter, with a header of the script's own.
    with aiohttp.MultipartWriter("form-data") as writer:
        part = writer.append("plain text")
        part.set_content_disposition("form-data", name="text")
        part = writer.append_json({"a": [1, 2]})
        part.set_content_disposition("form-data", name="json")
    echoed = await echo(session.post(API + "/echo", data=writer, headers={"X-Mine": "1"}))
    (h1, c1), (h2, c2) = parts(echoed)
    assert c1 == b"plain text" and h1["content-type"].startswith("text/plain"), h1
    assert c2 == b'{"a": [1, 2]}' and h2["content-type"] == "application/json", h2
    assert echoed["headers"]["x-mine"] == "1"

    # A file object: its bytes, with the headers aiohttp sends for it.
    with open("{path}", "rb") as file:
        echoed = await echo(session.put(API + "/echo", data=file))
    assert echoed["raw"] == BINARY * 10
    assert echoed["headers"]["content-length"] == str(len(BINARY) * 10)
    assert 'filename="upload.bin"' in echoed["headers"]["content-disposition"], echoed["headers"]

    # An async generator: its length is unknown, so the body goes chunked.
    async def generate():
        for i in range(5):
            yield f"piece {i};".encode()
    echoed = await echo(session.post(API + "/echo", data=generate()))
    assert echoed["raw"] == b"piece 0;piece 1;piece 2;piece 3;piece 4;"
    assert echoed["headers"]["transfer-encoding"] == "chunked", echoed["headers"]
    assert "content-length" not in echoed["headers"]

    # Awaited without `async with`, and with the script's own content type.
    resp = await session.post(API + "/echo", data=io.BytesIO(b"raw"),
                              headers={"Content-Type": "text/x-mine"})
    echoed = await resp.json()
    assert echoed["body"] == "raw" and echoed["headers"]["content-type"] == "text/x-mine"

    # Plain bytes with the script's own content type, given after the data: only it is sent.
    echoed = await echo(session.post(API + "/echo", data=b"raw",
                                     headers={"Content-Type": "text/x-mine"}))
    assert echoed["headers"]["content-type"] == "text/x-mine", echoed["headers"]
"""


def test_multipart_file_and_generator_bodies_arrive_exactly(tmp_path, fresh_target):
    runner = Molotov(tmp_path, fresh_target)
    upload = tmp_path / "upload.bin"
    upload.write_bytes(bytes(range(256)) * 4 * 10)
    result = runner.run("-r", "1", "-v", source=SCRIPT.replace("{path}", str(upload)))
    assert result.code == 0 and result.results["successes"] == 1, result
    assert fresh_target.requests("/echo") == 6
    entry = result.results["requests"]["POST /echo"]
    assert entry["statuses"] == {"200": 5}, entry


def test_a_body_aiohttp_cannot_send_is_a_type_error(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.scenario()
        async def unsendable(session):
            class Thing:
                def write(self):
                    pass
            try:
                await session.post("http://localhost:8080/echo", data=Thing())
            except TypeError as error:
                assert "Thing" in str(error), error
            else:
                raise AssertionError("sent")
    """)
    assert result.code == 0 and result.results["successes"] == 1, result
