// Labelled inputs that show the server's validation messages next to the field they belong to.
import type { InputHTMLAttributes, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";

type Errors = Record<string, string[]> | undefined;

function FieldError({ name, errors }: { name: string; errors: Errors }) {
  const messages = errors?.[name];
  if (!messages?.length) return null;
  return (
    <span className="field-error" id={`${name}-error`}>
      {messages.join(" ")}
    </span>
  );
}

export function TextField({
  label,
  name,
  errors,
  ...rest
}: { label: string; name: string; errors?: Errors } & InputHTMLAttributes<HTMLInputElement>) {
  const invalid = Boolean(errors?.[name]?.length);
  return (
    <label className="field">
      <span>{label}</span>
      <input name={name} aria-invalid={invalid} aria-describedby={invalid ? `${name}-error` : undefined} {...rest} />
      <FieldError name={name} errors={errors} />
    </label>
  );
}

export function SelectField({
  label,
  name,
  errors,
  options,
  ...rest
}: {
  label: string;
  name: string;
  errors?: Errors;
  options: readonly { value: string; label: string }[];
} & SelectHTMLAttributes<HTMLSelectElement>) {
  const invalid = Boolean(errors?.[name]?.length);
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} aria-invalid={invalid} aria-describedby={invalid ? `${name}-error` : undefined} {...rest}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldError name={name} errors={errors} />
    </label>
  );
}

export function TextAreaField({
  label,
  name,
  errors,
  ...rest
}: { label: string; name: string; errors?: Errors } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const invalid = Boolean(errors?.[name]?.length);
  return (
    <label className="field">
      <span>{label}</span>
      <textarea name={name} aria-invalid={invalid} aria-describedby={invalid ? `${name}-error` : undefined} {...rest} />
      <FieldError name={name} errors={errors} />
    </label>
  );
}

export function FormMessage({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}
