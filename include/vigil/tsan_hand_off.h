// Hand-offs between threads that ThreadSanitizer cannot see by itself.
//
// Debian's oneTBB is not built with -fsanitize=thread, so the ordering its scheduler guarantees
// (a parallel_for body or a pipeline filter starts after the call began; a token reaches the
// next filter after the previous one returned; the turns of a serial filter follow one another;
// the call returns after every body and filter ended) is made of memory operations TSan never
// observes. Without help, whatever the caller prepared, a filter hands to the next one, or a
// serial filter keeps between turns looks raced. These calls state such a hand-off on an
// address: everything the calling thread did before AnnotateHandOff(p) happens before whatever
// a thread does after a later AnnotateTakeOver(p). They claim only what TBB guarantees, so TSan
// still checks the bodies and filters against each other. Without ThreadSanitizer they compile
// to nothing. Internal to vigil: not part of the installed headers.
//
// Thread-safety: callable from any thread; an address may be handed off by several threads.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define VIGIL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VIGIL_TSAN 1
#endif
#endif

#if defined(VIGIL_TSAN)
extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}
#endif

namespace vigil {

// The calling thread is done with `p`, which is not null, and with everything it wrote before:
// the next thread to take `p` over sees all of it.
inline void AnnotateHandOff([[maybe_unused]] const void* p) {
#if defined(VIGIL_TSAN)
  __tsan_release(const_cast<void*>(p));
#endif
}

// The calling thread continues what the threads that handed off `p` did.
inline void AnnotateTakeOver([[maybe_unused]] const void* p) {
#if defined(VIGIL_TSAN)
  __tsan_acquire(const_cast<void*>(p));
#endif
}

// Hands `p` off when the scope ends, whichever return ends it.
class ScopedHandOff {
 public:
  explicit ScopedHandOff(const void* p) : p_(p) {}
  ~ScopedHandOff() { AnnotateHandOff(p_); }
  ScopedHandOff(const ScopedHandOff&) = delete;
  ScopedHandOff& operator=(const ScopedHandOff&) = delete;

 private:
  const void* p_;
};

// The fork and the join of one parallel_for or parallel_invoke: TBB starts the bodies after the
// call began and returns after they all ended, but TSan sees neither edge. Constructed just
// before the call; each body opens a Body() first; the caller calls Joined() once the call
// returned. The bodies are not ordered among themselves, so TSan still checks them against
// each other.
class ForkJoin {
 public:
  ForkJoin() { AnnotateHandOff(&fork_); }
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  [[nodiscard]] ScopedHandOff Body() const {
    AnnotateTakeOver(&fork_);
    return ScopedHandOff(&join_);
  }
  void Joined() const { AnnotateTakeOver(&join_); }

 private:
  char fork_ = 0;
  char join_ = 0;
};

// One turn on `p`: taken over now, handed off when the scope ends. A pipeline filter opens one
// on the token it receives and, in a serial filter, one on the state the filter keeps between
// its turns; the caller hands that state of the first filter off before the pipeline (the fork)
// and takes the last filter's over after it (the join). Not for parallel_for bodies: turns on
// one address would order the bodies after one another.
class HandOffTurn : public ScopedHandOff {
 public:
  explicit HandOffTurn(const void* p) : ScopedHandOff(p) { AnnotateTakeOver(p); }
};

}  // namespace vigil
