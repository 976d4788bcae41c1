// sockopt ships no types: the two calls it has, as runtime/no-delay.ts uses them.
declare module 'sockopt' {
  interface WithFd { _handle: { fd: number } }
  const sockopt: {
    setsockopt(socket: WithFd, level: number, option: number, value: number): void;
    getsockopt(socket: WithFd, level: number, option: number): number;
  };
  export default sockopt;
}
