// Live presence on the agents page: the server pushes changes over a websocket.
(function () {
  const table = document.getElementById("agents");
  if (!table) return;
  let delay = 500;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(scheme + "://" + location.host + "/ws/presence/");
    ws.onopen = function () { delay = 500; table.dataset.live = "1"; };
    ws.onmessage = function (msg) {
      const data = JSON.parse(msg.data);
      const cell = table.querySelector('tr[data-agent="' + data.agent_id + '"] [data-presence]');
      if (!cell) return;
      cell.className = "presence " + data.presence;
      cell.textContent = data.label;
    };
    ws.onclose = function () { table.dataset.live = "0"; setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
  }
  connect();
})();
