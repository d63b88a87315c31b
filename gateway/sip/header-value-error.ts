// A header value that does not follow its grammar; `detail` names the defect (it ends up in the
// reason phrase of a 400).
export class HeaderValueError {
  readonly detail: string;
  constructor(detail: string) { this.detail = detail; }
}
