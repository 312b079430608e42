// A single-producer single-consumer ring in shared memory, as IVSHMEM
// programs lay one out: the producer's index (head) and the consumer's
// (tail) each on a cache line of their own, then `depth` slots of
// `slot_bytes`. Indices count messages from 0 and only grow; slot i is
// i % depth. The producer writes slots, then publishes head; the consumer
// reads them, then publishes tail. Used by ring, bulk, fanout and fanin.
#pragma once

#include <vector>

#include "workloads/guest_api.h"

namespace ivsim {

struct ShmRing {
  Gpa head = 0;   // u64: messages published
  Gpa tail = 0;   // u64: messages consumed
  Gpa slots = 0;  // first slot
  u64 slot_bytes = 0;
  u64 depth = 0;

  static constexpr u64 kHeaderBytes = 2 * kCacheLineBytes;
  // Bytes a ring of `depth` slots of `slot_bytes` takes (slots line-aligned).
  static u64 bytes(u64 slot_bytes, u64 depth) { return kHeaderBytes + round_up(slot_bytes, kCacheLineBytes) * depth; }
  static ShmRing at(Gpa base, u64 slot_bytes, u64 depth) {
    return ShmRing{base, base + kCacheLineBytes, base + kHeaderBytes, slot_bytes, depth};
  }
  Gpa slot(u64 index) const { return slots + (index % depth) * round_up(slot_bytes, kCacheLineBytes); }
};

// The producer's side: its own copy of head, the last tail it read.
class RingProducer {
 public:
  RingProducer(Guest& g, const ShmRing& r) : g_(g), r_(r) {}
  // Room for one more message (reads tail only when the cached one says full).
  bool has_room() {
    if (head_ - tail_ < r_.depth) return true;
    tail_ = g_.load<u64>(r_.tail);
    return head_ - tail_ < r_.depth;
  }
  // Waits (spinning on tail) until a slot is free.
  void wait_room() {
    while (!has_room()) tail_ = g_.wait_until(r_.tail, 8, Cmp::ge, head_ - r_.depth + 1);
  }
  // Writes the next message's bytes into its slot (not yet visible).
  void write(const void* data, u64 len) { g_.write(r_.slot(head_++), data, len); }
  // Makes every written message visible to the consumer.
  void publish() { g_.store<u64>(r_.head, head_); }
  u64 head() const { return head_; }

 private:
  Guest& g_;
  ShmRing r_;
  u64 head_ = 0, tail_ = 0;
};

// The consumer's side.
class RingConsumer {
 public:
  RingConsumer(Guest& g, const ShmRing& r) : g_(g), r_(r) {}
  // Messages published and not yet read (reads head).
  u64 available() {
    head_ = g_.load<u64>(r_.head);
    return head_ - tail_;
  }
  // Reads the next message into `data` (the caller checked it is there).
  void read(void* data, u64 len) { g_.read(r_.slot(tail_++), data, len); }
  // Gives the read slots back to the producer.
  void release() { g_.store<u64>(r_.tail, tail_); }
  u64 tail() const { return tail_; }
  const ShmRing& ring() const { return r_; }

 private:
  Guest& g_;
  ShmRing r_;
  u64 head_ = 0, tail_ = 0;
};

}  // namespace ivsim
