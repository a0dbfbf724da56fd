import { FlagSpec, readFlags, readOptions } from '../../kit';

const FLAGS: Record<string, FlagSpec> = {
  '--name': { value: true, placeholder: '<name>', help: 'a name' },
  '--tag': { value: true, repeatable: true, placeholder: '<tag>', help: 'a tag' },
  '--yes': { value: false, help: 'no questions' },
};

describe('readFlags', () => {
  test('reads values in both forms, repeatable flags, aliases and positionals, skipping the -- projen passes on', () => {
    const read = readFlags(['--', 'plan', '--name', 'a', '--tag=x', '--tag', 'y', '-y'], FLAGS, { '-y': '--yes' }, 'command line');
    expect(read.problems).toEqual([]);
    expect(read.positionals).toEqual(['plan']);
    expect(Object.fromEntries(read.values)).toEqual({ '--name': ['a'], '--tag': ['x', 'y'], '--yes': ['true'] });
  });

  test('collects every problem, each naming the flag, the value and what is allowed', () => {
    const read = readFlags(['--nme', 'a', '--yes=no', '--name', 'a', '--name', 'b', '--tag'], FLAGS, {}, 'command line');
    expect(read.problems).toEqual([
      'command line: --nme is not an option; allowed: --name, --tag, --yes',
      'command line: --yes takes no value (got "no")',
      'command line: --name is given more than once ("a", "b"); give it once',
      'command line: --tag needs a value: --tag <tag>',
    ]);
    // The flag is unknown, so is its arity: what follows it is read as a positional.
    expect(read.positionals).toEqual(['a']);
  });
});

describe('readOptions', () => {
  test('an argument that is not an option is a problem, and each flag gives its value', () => {
    const read = readOptions(['stray', '--name', 'x'], { '--name': { value: true, placeholder: '<n>', help: 'a name' } }, {}, 'tool');
    expect(read.problems).toEqual(['tool: unexpected argument "stray"; allowed: only options (--name)']);
    expect(read.values.get('--name')).toBe('x');
  });
});
