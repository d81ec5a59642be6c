// A small given/when/then helper for pure deciders: fold the given events, run the command, check events or error.
import { expect } from 'chai';

type ErrorClass = abstract new (...args: never[]) => Error;

export function DeciderSpec<S, E>(evolve: (state: S | undefined, event: E) => S | undefined) {
  return {
    given(events: E[]) {
      const state = events.reduce<S | undefined>(evolve, undefined);
      return {
        when<R>(decide: (state: S | undefined) => R) {
          return {
            then(check: (result: R) => void): void {
              check(decide(state));
            },
            thenThrows(type: ErrorClass, message?: RegExp): Error {
              let thrown: unknown;
              try {
                decide(state);
              } catch (error) {
                thrown = error;
              }
              expect(thrown, 'the decider should refuse').to.be.instanceOf(type);
              if (message) expect((thrown as Error).message).to.match(message);
              return thrown as Error;
            },
          };
        },
      };
    },
  };
}
