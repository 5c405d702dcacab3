-- wrk script: POST /upload with a 1 KiB body (the view hashes it; no DB write)
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
