/** Our replies' Markdown bold (`**x**`) as Slack mrkdwn (`*x*`); the rest reads the same in both. */
export function mrkdwn(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, '*$1*');
}
