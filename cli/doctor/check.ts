// One line of `till-agent doctor`: the type every check in cli/doctor/ returns (doctor.ts runs them).

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}
