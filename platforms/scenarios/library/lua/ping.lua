-- Rings a peer and measures the round trip: role ping writes a sequence
-- number into the region and rings pong's doorbell; pong, woken through
-- Zephyr-style k_poll_signal, answers with the same number and rings back.
local VECTOR = 0                      -- MSI-X entry each side's doorbell uses
local dev = ivshmem_probe(region_bdf())
local shm = ivshmem_get_mem(dev)
local ping_seq, pong_seq, ready = shm, shm + 64, shm + 128   -- a cache line each
local sig = k_poll_signal()
expect(ivshmem_register_handler(dev, sig, VECTOR) == 0, role() .. "'s doorbell handler is registered")

if role() == "ping" then
  local pong = peer_id("pong")
  wait_until(ready, "eq", 1)          -- pong's handler is in place
  for i = 1, params.iterations do
    local t = timestamp()
    store64(ping_seq, i)
    ivshmem_int_peer(dev, pong, VECTOR)
    while load64(pong_seq) ~= i do k_poll(sig) end
    record("round_trip", t)
  end
  count("round_trips", params.iterations)
else
  local ping = peer_id("ping")
  store64(ready, 1)
  for i = 1, params.iterations do
    while load64(ping_seq) ~= i do k_poll(sig) end
    store64(pong_seq, i)
    ivshmem_int_peer(dev, ping, VECTOR)
  end
end
