/** Expiries offered on the page, as the API's `expires_in` (5 minutes to 180 days); '' keeps the server's default. */
export const EXPIRY_CHOICES: readonly { value: string; label: string }[] = [
  { value: '', label: 'Server default' },
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '1 week' },
  { value: '30d', label: '30 days' },
  { value: '180d', label: '180 days' },
];

/** Picks how long the next uploads live; the server deletes them after that. */
export function ExpiryChoice({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label className="expiry-choice">
      Delete after{' '}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {EXPIRY_CHOICES.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}
