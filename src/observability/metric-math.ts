/**
 * The part of CloudWatch metric math our alarms use, evaluated here over series already read with
 * GetMetricData: moto (the local CloudWatch) answers an expression query with nothing, so `npm run
 * alarms -- status` evaluates expressions itself, the same way against moto and AWS. Supported:
 * numbers, query ids, `+ - * /`, comparisons (`> >= < <= == !=`, 1 or 0), `AND`, `OR`, `NOT`,
 * `IF(condition, then, else)` and `FILL(series, value)`. Like CloudWatch, a period where an operand
 * has no data point has none in the result, except where FILL supplies one.
 */

/** One value per period, oldest first; undefined: no data point in that period. */
export type Series = readonly (number | undefined)[];

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'unary'; operator: string; operand: Node }
  | { kind: 'binary'; operator: string; left: Node; right: Node }
  | { kind: 'call'; name: string; args: Node[] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.trimEnd().length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match) throw new Error(`metric math: cannot read "${expression.slice(at)}"`);
    tokens.push(match[1] ?? match[2] ?? match[3]!);
  }
  return tokens;
}

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['OR'],
  ['AND'],
  ['>', '>=', '<', '<=', '==', '!='],
  ['+', '-'],
  ['*', '/'],
];

class Parser {
  private position = 0;
  constructor(private readonly tokens: string[]) {}

  parse(): Node {
    const node = this.binary(0);
    if (this.position < this.tokens.length) throw new Error(`metric math: unexpected "${this.tokens[this.position]}"`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.position];
  }

  private take(expected?: string): string {
    const token = this.tokens[this.position++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) {
      throw new Error(`metric math: expected ${expected ?? 'more'}, found ${token ?? 'the end'}`);
    }
    return token;
  }

  private binary(level: number): Node {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (BINARY_LEVELS[level]!.includes(this.peek()?.toUpperCase() ?? '')) {
      const operator = this.take().toUpperCase();
      left = { kind: 'binary', operator, left, right: this.binary(level + 1) };
    }
    return left;
  }

  private unary(): Node {
    const next = this.peek()?.toUpperCase();
    if (next === '-' || next === 'NOT') {
      this.take();
      return { kind: 'unary', operator: next, operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.take();
    if (token === '(') {
      const inner = this.binary(0);
      this.take(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (!/^[A-Za-z_]/.test(token)) throw new Error(`metric math: unexpected "${token}"`);
    if (this.peek() !== '(') return { kind: 'id', name: token };
    this.take('(');
    const args: Node[] = [];
    while (this.peek() !== ')') {
      args.push(this.binary(0));
      if (this.peek() === ',') this.take(',');
    }
    this.take(')');
    return { kind: 'call', name: token.toUpperCase(), args };
  }
}

type Value = number | undefined;

const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '>': (a, b) => Number(a > b),
  '>=': (a, b) => Number(a >= b),
  '<': (a, b) => Number(a < b),
  '<=': (a, b) => Number(a <= b),
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
  AND: (a, b) => Number(a !== 0 && b !== 0),
  OR: (a, b) => Number(a !== 0 || b !== 0),
};

function evaluateAt(node: Node, series: Readonly<Record<string, Series>>, index: number): Value {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'id': {
      const values = series[node.name];
      if (!values) throw new Error(`metric math: no query with id ${node.name}`);
      return values[index];
    }
    case 'unary': {
      const operand = evaluateAt(node.operand, series, index);
      if (operand === undefined) return undefined;
      return node.operator === '-' ? -operand : Number(operand === 0);
    }
    case 'binary': {
      const left = evaluateAt(node.left, series, index);
      const right = evaluateAt(node.right, series, index);
      return left === undefined || right === undefined ? undefined : BINARY[node.operator]!(left, right);
    }
    case 'call':
      return evaluateCall(node, series, index);
  }
}

function evaluateCall(node: Extract<Node, { kind: 'call' }>, series: Readonly<Record<string, Series>>, index: number) {
  const [first, second, third] = node.args;
  if (node.name === 'FILL' && node.args.length === 2) {
    return evaluateAt(first!, series, index) ?? evaluateAt(second!, series, index);
  }
  if (node.name === 'IF' && (node.args.length === 2 || node.args.length === 3)) {
    const condition = evaluateAt(first!, series, index);
    if (condition === undefined) return undefined;
    if (condition !== 0) return evaluateAt(second!, series, index);
    return third ? evaluateAt(third, series, index) : undefined;
  }
  throw new Error(`metric math: ${node.name} with ${node.args.length} argument(s) is not supported here`);
}

/** The expression's series over the same periods as its inputs (every input has `length` values). */
export function evaluateExpression(
  expression: string,
  series: Readonly<Record<string, Series>>,
  length: number,
): Series {
  const tree = new Parser(tokenize(expression)).parse();
  return Array.from({ length }, (_, index) => evaluateAt(tree, series, index));
}
