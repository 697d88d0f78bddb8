export { parseRate, type Rate } from './rate.ts';
export { slideWindow, throttleWait, type ThrottleStore, type ThrottleVerdict } from './store.ts';
export { MemoryThrottleStore } from './memory-store.ts';
export { RedisThrottleStore } from './redis-store.ts';
export {
  BaseThrottle,
  SimpleRateThrottle,
  AnonRateThrottle,
  UserRateThrottle,
  ScopedRateThrottle,
  LoginRateThrottle,
  type ThrottleRequest,
  type ThrottleView,
  type ThrottleDecision,
  type ThrottleOptions,
  type ThrottleClass,
} from './throttles.ts';
export { checkThrottles, type TracedThrottleRequest } from './check.ts';
