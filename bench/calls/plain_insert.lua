-- The plain comparison: POST a CTI-sized JSON body to /bench/insert (one row per request).
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"event":"newCall","callId":"plain","from":"+52 55 5341 2201",' ..
    '"to":"+52 55 5000 1000","direction":"in","user":["Blanca Herrera Solís"],"queue":"soporte"}'
end
function request()
  return wrk.format(nil, "/bench/insert")
end
