#include <catch2/catch.hpp>

#include "models/dm/shm_namespace.h"

using namespace ivsim;

TEST_CASE("the first opener of a shm object sizes it and later openers must ask for exactly that size") {
  ShmNamespace ns(0x4000'0000ULL, 64 * kMiB);
  std::string error;
  ShmObject* a = ns.open("shared", 2 * kMiB, error);
  REQUIRE(a);
  CHECK(a->openers == 1);
  CHECK(is_aligned(a->hpa, 2 * kMiB));
  ShmObject* b = ns.open("shared", 2 * kMiB, error);
  CHECK(b == a);
  CHECK(a->openers == 2);
  CHECK(ns.open("shared", 4 * kMiB, error) == nullptr);
  CHECK(error == "shm object shared exists with size 2097152, not 4194304");
  ShmObject* c = ns.open("other", 4 * kMiB, error);
  REQUIRE(c);
  CHECK(c->hpa != a->hpa);
  CHECK(is_aligned(c->hpa, 4 * kMiB));
}

TEST_CASE("a shm object that does not fit the Service VM's memory is refused") {
  ShmNamespace ns(0x4000'0000ULL, 4 * kMiB);
  std::string error;
  CHECK(ns.open("big", 8 * kMiB, error) == nullptr);
  CHECK(error == "the Service VM has no room for shm object big");
}
