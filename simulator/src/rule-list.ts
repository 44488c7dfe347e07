/** Rules a test adds and removes by id (faults, rate limits): checked on the way in, kept in order. */
import { randomUUID } from 'node:crypto';

export class RuleList<R extends object> {
  protected rules: (R & { id: string })[] = [];

  /** `check` turns a request body into a rule, or throws the validation error the control API answers. */
  constructor(private readonly validate: (input: unknown) => R) {}

  add(input: unknown): string {
    const rule = { ...this.validate(input), id: randomUUID() };
    this.rules.push(rule);
    return rule.id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }
}
