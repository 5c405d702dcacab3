-- wrk script: GET /item/<random id in 1..100000> per request
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/item/" .. math.random(1, 100000))
end
