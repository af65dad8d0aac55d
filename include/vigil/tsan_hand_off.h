// Hand-offs between threads that ThreadSanitizer cannot see by itself.
//
// Debian's oneTBB is not built with -fsanitize=thread, so the ordering its scheduler guarantees
// (a pipeline token reaches the next filter after the previous one returned; the turns of a
// serial filter follow one another; a parallel_pipeline returns after every filter has) is made
// of memory operations TSan never observes. Without help, every object a filter hands to the
// next one, and everything a serial filter keeps between turns, looks raced. These two calls
// state such a hand-off on an address: everything the calling thread did before
// AnnotateHandOff(p) happens before whatever a thread does after a later AnnotateTakeOver(p).
// They claim only what TBB guarantees, on the object it hands over, so TSan still checks the
// code of the filters against each other. In a build without ThreadSanitizer they compile to
// nothing. Internal to vigil: not part of the installed headers.
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

// Hands `p` off when the scope ends, whichever return ends it. A parallel_for or parallel_invoke
// body opens one on what the caller reads after the loop, and the caller takes that over once
// the loop returned: TBB joins the bodies before it returns, but TSan cannot see the join.
class ScopedHandOff {
 public:
  explicit ScopedHandOff(const void* p) : p_(p) {}
  ~ScopedHandOff() { AnnotateHandOff(p_); }
  ScopedHandOff(const ScopedHandOff&) = delete;
  ScopedHandOff& operator=(const ScopedHandOff&) = delete;

 private:
  const void* p_;
};

// One turn on `p`: taken over now, handed off when the scope ends. A pipeline filter opens one
// on the token it receives and, in a serial filter, one on the state the filter keeps between
// its turns. (Not for parallel_for bodies: a turn would order them after one another.)
class HandOffTurn : public ScopedHandOff {
 public:
  explicit HandOffTurn(const void* p) : ScopedHandOff(p) { AnnotateTakeOver(p); }
};

}  // namespace vigil
