-- Lab 3: the same program on an hv-land and a dm-land device. Role a
-- writes the workload's tag into the region, role b waits for it; both
-- time a register read (BAR0), a config read and a read of the region.
local bdf = region_bdf()
local dev = ivshmem_probe(bdf)
local shm, size = ivshmem_get_mem(dev)
local bar0 = pci_read32(bdf, 0x10) & ~0xf
print(string.format("%s: region at 0x%x (%d bytes), IVPosition %d, %d MSI-X vectors",
  bdf, shm, size, ivshmem_get_id(dev), ivshmem_get_vectors(dev)))

for _ = 1, params.reads do
  local t = timestamp()
  load32(bar0 + 0x08)                 -- IVPosition
  record("register_read", t)
  t = timestamp()
  pci_read32(bdf, 0x00)               -- vendor and device ID
  record("config_read", t)
  t = timestamp()
  load64(shm + 4096)
  record("region_read", t)
end

-- The doorbell: 0 when rung, -38 (ENOSYS) on a device without MSI-X.
local other = role() == "a" and "b" or "a"
local rc = ivshmem_int_peer(dev, peer_id(other), 0)
print("ivshmem_int_peer returned " .. rc)
count(rc == 0 and "doorbells_rung" or "doorbells_refused")

-- The data: each pair sees its own tag only, whatever the other pair writes.
if role() == "a" then
  store64(shm, params.tag)
  wait_until(shm + 8, "eq", 1)
else
  wait_until(shm, "eq", params.tag)
  store64(shm + 8, 1)
end
expect(load64(shm) == params.tag, string.format("%s reads its own pair's tag 0x%x", role(), params.tag))
